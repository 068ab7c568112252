//! The `d360` binary: everything happens in the library's [`d360::cli::main`].

fn main() -> std::process::ExitCode {
    d360::cli::main()
}
