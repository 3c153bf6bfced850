//! `tempora`: the command line of the Tempora scheduler.

fn main() {}
