//! Recert's domain: the pure model of privileged assignments and what a review does with them.
//!
//! Nothing here performs IO or reads the clock; callers pass `now` in. That keeps every rule
//! testable with plain values and lets the store, the Graph client and the UI share one vocabulary.

pub mod assignment;
pub mod authority;
pub mod campaign;
pub mod changes;
pub mod emergency;
pub mod entra_reviews;
pub mod exceptions;
pub mod findings;
pub mod gap;
pub mod history;
pub mod identity;
pub mod justification;
pub mod population;
pub mod principal;
pub mod recommendation;
pub mod remediation;
pub mod review;
pub mod routing;
pub mod sample;
pub mod schedule;
pub mod signoff;
pub mod stage;
pub mod tally;
pub mod tier;
pub mod worklist;

pub use assignment::{
    Assignment, AssignmentKind, Membership, PrincipalKind, RoleDefinition, ScopeName, Surface,
};
pub use gap::{GapArea, GapReason, PullGap};
pub use population::{RoleCount, role_counts};
pub use principal::{Activation, GroupMember, Principal, UserType};
