use std::process::ExitCode;

fn main() -> ExitCode {
    fieldreport::cli::run()
}
