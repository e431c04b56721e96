//! Cross-crate scenarios: the real `recert-app` against the emulator over HTTPS, a private
//! database and a fixed clock. One binary, one module per capability.

mod campaigns;
mod decisions;
mod edge;
mod entra_reviews;
mod evidence;
mod gaps;
mod population;
mod remediation;
mod requests;
mod tenants;
mod tidy;
mod trust;
