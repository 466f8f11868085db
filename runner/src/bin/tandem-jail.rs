//! The jail helper as its own binary (tests and deployments that keep it apart from `tandem`).

fn main() {
    runner::jail::main()
}
