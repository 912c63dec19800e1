//! The `lagesbild` binary: the desktop app with no arguments (or `gui`),
//! otherwise a command-line tool. See `lagesbild --help`.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
