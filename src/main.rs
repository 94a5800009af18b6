//! The `flaredns` binary: parse the command line, then hand over to `cli`.

fn main() -> std::process::ExitCode {
    flaredns::cli::main()
}
