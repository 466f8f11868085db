//! The `tandem` binary: everything lives in the library (`sync_server::cli`).

fn main() -> anyhow::Result<()> {
    sync_server::cli::main()
}
