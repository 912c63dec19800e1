//! placeholder
pub fn run(_a: &super::follow_args::EvaluateArgs) -> anyhow::Result<super::Outcome> {
    anyhow::bail!("not yet")
}
