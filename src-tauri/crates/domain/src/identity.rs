//! How the person behind a decision or a sign-off was identified: authenticated by Entra (an
//! interactive sign-in, a sign-in restored from the keychain, Entra Access Reviews) or only
//! asserted (a CSV line imported by an admin, the demo tenant's "act as"). The binder prints it
//! beside every decision, so an asserted identity is never read as an authenticated one.

use chrono::{DateTime, Duration, Utc};

/// How long a sign-in counts as fresh for a sign-off: the signer authenticates again unless they
/// did within this window.
pub const FRESH_AUTHENTICATION: Duration = Duration::minutes(5);

/// The kind of [`Authentication`], as stored in SQLite and sent to the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthMethod {
    /// Signed in interactively (browser or device code) in this session.
    SignIn,
    /// A sign-in restored from the refresh token kept in the keychain: authenticated earlier,
    /// the tokens re-issued by Entra at the recorded time.
    RestoredSignIn,
    /// Decided in Microsoft's own reviewer experience and synchronised with the reviewer's Entra
    /// identity.
    AccessReviews,
    /// A line of a CSV file imported by a governance admin: the reviewer is asserted by the file.
    CsvImport,
    /// The demo tenant's "act as": a user chosen without signing in.
    DemoActAs,
    /// Recorded before Recert kept how the decider was authenticated.
    Unrecorded,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 6] = [
        AuthMethod::SignIn,
        AuthMethod::RestoredSignIn,
        AuthMethod::AccessReviews,
        AuthMethod::CsvImport,
        AuthMethod::DemoActAs,
        AuthMethod::Unrecorded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::SignIn => "signIn",
            AuthMethod::RestoredSignIn => "restoredSignIn",
            AuthMethod::AccessReviews => "accessReviews",
            AuthMethod::CsvImport => "csvImport",
            AuthMethod::DemoActAs => "demoActAs",
            AuthMethod::Unrecorded => "unrecorded",
        }
    }

    pub fn parse(s: &str) -> Option<AuthMethod> {
        AuthMethod::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// A few words for a table cell: "signed in" when Entra vouched, "asserted" with how when not.
    pub fn label(self) -> &'static str {
        match self {
            AuthMethod::SignIn => "signed in",
            AuthMethod::RestoredSignIn => "signed in (kept)",
            AuthMethod::AccessReviews => "Entra reviews",
            AuthMethod::CsvImport => "asserted: CSV",
            AuthMethod::DemoActAs => "asserted: act-as",
            AuthMethod::Unrecorded => "not recorded",
        }
    }

    /// Whether Entra vouched for the person, as opposed to someone asserting who they are.
    pub fn is_authenticated(self) -> bool {
        matches!(self, AuthMethod::SignIn | AuthMethod::RestoredSignIn | AuthMethod::AccessReviews)
    }
}

/// The Entra identity that authenticated: the ID token's tenant and object id, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntraIdentity {
    pub tenant_id: String,
    pub object_id: String,
    pub at: DateTime<Utc>,
}

/// How one person was identified when they acted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authentication {
    SignIn(EntraIdentity),
    RestoredSignIn(EntraIdentity),
    AccessReviews(EntraIdentity),
    /// Imported from a CSV file by the governance admin `by` (their UPN).
    CsvImport {
        by: String,
    },
    DemoActAs,
    Unrecorded,
}

/// Why a sign-in is not fresh enough to sign off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Staleness {
    /// Nobody authenticated: an asserted identity (act as, CSV import) or none recorded.
    NotAuthenticated(AuthMethod),
    /// A sign-in restored from the keychain proves an earlier authentication, not a fresh one.
    Restored,
    /// The sign-in is older than [`FRESH_AUTHENTICATION`], by this many whole minutes.
    TooOld { minutes: i64 },
}

impl std::fmt::Display for Staleness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Staleness::NotAuthenticated(AuthMethod::DemoActAs) => f.write_str(
                "acting as a demo user is not an authentication: sign in (on the demo tenant, \
                 the demo sign-in) and sign off within five minutes",
            ),
            Staleness::NotAuthenticated(method) if method.is_authenticated() => write!(
                f,
                "{} identifies reviewers, not signers: sign in and sign off within five minutes",
                method.as_str()
            ),
            Staleness::NotAuthenticated(method) => {
                write!(f, "{} is not an authentication: sign in first", method.as_str())
            }
            Staleness::Restored => f.write_str(
                "this sign-in was restored from the keychain: sign in again and sign off within \
                 five minutes",
            ),
            Staleness::TooOld { minutes } => write!(
                f,
                "the sign-in is {minutes} minutes old: sign in again and sign off within five \
                 minutes"
            ),
        }
    }
}

impl Authentication {
    pub fn method(&self) -> AuthMethod {
        match self {
            Authentication::SignIn(_) => AuthMethod::SignIn,
            Authentication::RestoredSignIn(_) => AuthMethod::RestoredSignIn,
            Authentication::AccessReviews(_) => AuthMethod::AccessReviews,
            Authentication::CsvImport { .. } => AuthMethod::CsvImport,
            Authentication::DemoActAs => AuthMethod::DemoActAs,
            Authentication::Unrecorded => AuthMethod::Unrecorded,
        }
    }

    pub fn is_authenticated(&self) -> bool {
        self.method().is_authenticated()
    }

    /// The Entra identity behind it, when one authenticated.
    pub fn entra(&self) -> Option<&EntraIdentity> {
        match self {
            Authentication::SignIn(e)
            | Authentication::RestoredSignIn(e)
            | Authentication::AccessReviews(e) => Some(e),
            _ => None,
        }
    }

    /// Who imported it, for a CSV import.
    pub fn imported_by(&self) -> Option<&str> {
        match self {
            Authentication::CsvImport { by } => Some(by),
            _ => None,
        }
    }

    /// Rebuilds one from its stored parts; `None` when the parts do not make one (a method that
    /// needs an Entra identity without it, or an unknown method).
    pub fn from_parts(
        method: &str,
        tenant_id: Option<&str>,
        object_id: Option<&str>,
        at: Option<DateTime<Utc>>,
        by: Option<&str>,
    ) -> Option<Authentication> {
        let entra = || {
            Some(EntraIdentity {
                tenant_id: tenant_id?.to_string(),
                object_id: object_id?.to_string(),
                at: at?,
            })
        };
        Some(match AuthMethod::parse(method)? {
            AuthMethod::SignIn => Authentication::SignIn(entra()?),
            AuthMethod::RestoredSignIn => Authentication::RestoredSignIn(entra()?),
            AuthMethod::AccessReviews => Authentication::AccessReviews(entra()?),
            AuthMethod::CsvImport => Authentication::CsvImport { by: by?.to_string() },
            AuthMethod::DemoActAs => Authentication::DemoActAs,
            AuthMethod::Unrecorded => Authentication::Unrecorded,
        })
    }

    /// One line for a reader, with the time formatted by `time`: what proves the identity, or
    /// that nothing does.
    pub fn describe(&self, time: impl Fn(DateTime<Utc>) -> String) -> String {
        match self {
            Authentication::SignIn(e) => format!(
                "authenticated: interactive sign-in to tenant {} as object {} at {}",
                e.tenant_id,
                e.object_id,
                time(e.at)
            ),
            Authentication::RestoredSignIn(e) => format!(
                "authenticated earlier: sign-in to tenant {} as object {} restored from the \
                 keychain at {}",
                e.tenant_id,
                e.object_id,
                time(e.at)
            ),
            Authentication::AccessReviews(e) => format!(
                "authenticated: Entra Access Reviews, tenant {} object {} at {}",
                e.tenant_id,
                e.object_id,
                time(e.at)
            ),
            Authentication::CsvImport { by } => {
                format!("asserted: imported from a CSV file by {by}, not signed in by the reviewer")
            }
            Authentication::DemoActAs => {
                "asserted: demo tenant \"act as\", nobody signed in".to_string()
            }
            Authentication::Unrecorded => "not recorded (decided before Recert kept it)".into(),
        }
    }

    /// Whether it proves an authentication at most [`FRESH_AUTHENTICATION`] before `now`, as a
    /// sign-off requires. Only an interactive sign-in in this session counts.
    pub fn fresh_at(&self, now: DateTime<Utc>) -> Result<(), Staleness> {
        match self {
            Authentication::SignIn(e) => {
                let age = now - e.at;
                if age > FRESH_AUTHENTICATION {
                    Err(Staleness::TooOld { minutes: age.num_minutes() })
                } else {
                    Ok(())
                }
            }
            Authentication::RestoredSignIn(_) => Err(Staleness::Restored),
            other => Err(Staleness::NotAuthenticated(other.method())),
        }
    }
}

#[cfg(test)]
mod tests;
