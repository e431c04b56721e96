#[path = "../../../../tests/sdk/main.rs"]
mod sdk;
