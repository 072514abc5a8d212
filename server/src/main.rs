//! The `replybubble` binary.

fn main() -> std::process::ExitCode {
    replybubble_server::cli::main()
}
