//! The `flaredns` binary: parse the command line, then hand over to `cli`.

/// mimalloc: the reconcile loop allocates and frees many small strings; with
/// glibc's allocator a fifth of planning time went to consolidating free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    flaredns::cli::main()
}
