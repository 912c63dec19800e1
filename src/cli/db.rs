//! `lagesbild db pull` / `db push` (offline copies, `db_sync.rs`) and
//! `lagesbild db init URL [--name NAME]`: prepares a PostgreSQL/PostGIS
//! database as a shared project (schema, migrations, the group roles
//! lagesbild_read / lagesbild_write / lagesbild_sensitive, grants and
//! row-level security). Run it as the database's administrator; it is safe
//! to run again (after an upgrade it migrates the schema).
//!
//! URL: `postgresql://user@host:port/db?sslmode=require` or
//! `service=NAME`; the password comes from ~/.pgpass, PGPASSFILE or
//! PGPASSWORD, never from the command line's output.

use clap::{Args, Subcommand};

use super::Outcome;

#[derive(Debug, Args)]
pub struct DbArgs {
    #[command(subcommand)]
    pub command: DbCommand,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Write an offline copy: a new GeoPackage with the incidents the
    /// filters select, and every map layer, the patrol plan, the saved
    /// views, the measures and the hosts' tracks and check-ins (within the
    /// dates). All or nothing: the file appears only when complete.
    Pull(super::args::DbPullArgs),
    /// Send a project's incidents (under the import rules: duplicates
    /// skipped, conflicts reported), map layers, patrol plan, saved views,
    /// measures, tracks and check-ins to another project, usually the
    /// shared database. Items whose name the target holds in another form
    /// are not sent and are listed (exit code 1).
    Push(super::args::DbPushArgs),
    /// Create (or migrate) the project schema, the roles and row-level security.
    #[cfg(feature = "postgres")]
    Init {
        /// The database: postgresql://user@host:port/db or service=NAME.
        url: String,
        /// The project's name (kept when the project exists).
        #[arg(long, default_value = "Lägesbild")]
        name: String,
    },
}

pub fn run(args: &DbArgs) -> anyhow::Result<Outcome> {
    match &args.command {
        DbCommand::Pull(a) => super::db_sync::pull(a),
        DbCommand::Push(a) => super::db_sync::push(a),
        #[cfg(feature = "postgres")]
        DbCommand::Init { url, name } => {
            let line = lagesbild::store::pg::init(url, name)?;
            println!("{line}");
            println!(
                "Grant the roles to logins with SQL, e.g.: GRANT lagesbild_write TO anna; \
                 GRANT lagesbild_read TO lars; GRANT lagesbild_sensitive TO anna;"
            );
            Ok(Outcome::Success)
        }
    }
}
