//! `tempora-bench`: the workloads of WORKLOADS.md.

fn main() {}
