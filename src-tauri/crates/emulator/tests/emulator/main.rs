//! Integration tests for recert-emulator, over real HTTP(S) with reqwest (one binary, many modules).

mod arm;
mod azure;
mod common;
mod conformance;
mod directory;
mod faults;
mod fixtures;
mod home;
mod login;
mod requests;
mod reviews;
mod roles;
mod schedules;
