//! [`App`]: the open database, the connected tenants and the clock, shared by every use case.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use recert_graph::{Cloud, GraphClient, MemoryVault, PublicClient, TokenVault};
use recert_store::{Store, TenantKind, TenantRecord};

use crate::dto::TenantDto;
use crate::{AppError, ErrorCode};

/// Names a file to keep people's refresh tokens in instead of the OS keychain (owner-only; for
/// machines without a credential store). Never a silent fallback: only when set.
pub const TOKEN_FILE: &str = "RECERT_TOKEN_FILE";

/// Where `now` comes from; tests pass a fixed one.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// How to sign in to a tenant. Secrets stay in memory (DESIGN.md invariant 7).
#[derive(Clone)]
pub enum TenantAuth {
    /// App-only with a client secret: unattended runs and the demo tenant.
    AppSecret { client_id: String, secret: String },
    /// App-only with a certificate: PEM holding the certificate and its RSA private key.
    AppCertificate { client_id: String, pem: Vec<u8> },
    /// A person signs in through a public client (see `App::sign_in_interactive`).
    Interactive { client_id: String },
    /// The developer's Azure CLI sign-in.
    AzureCli,
}

impl std::fmt::Debug for TenantAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TenantAuth::AppSecret { client_id, .. } => {
                f.debug_struct("AppSecret").field("client_id", client_id).finish_non_exhaustive()
            }
            TenantAuth::AppCertificate { client_id, .. } => f
                .debug_struct("AppCertificate")
                .field("client_id", client_id)
                .finish_non_exhaustive(),
            TenantAuth::Interactive { client_id } => {
                f.debug_struct("Interactive").field("client_id", client_id).finish()
            }
            TenantAuth::AzureCli => f.write_str("AzureCli"),
        }
    }
}

/// Everything needed to reach one tenant.
#[derive(Clone, Debug)]
pub struct TenantConnection {
    /// Recert's handle for the tenant, e.g. `demo`.
    pub id: String,
    pub name: String,
    pub is_demo: bool,
    pub tenant_guid: String,
    pub cloud: Cloud,
    pub auth: TenantAuth,
    /// An extra trusted root (the emulator's self-signed certificate, DER).
    pub extra_root: Option<Vec<u8>>,
}

impl TenantConnection {
    /// Recert's handle for the built-in demo tenant.
    pub const DEMO_ID: &'static str = "demo";

    /// The built-in demo tenant, served at `base_url` with the emulator's app credential
    /// `(client id, secret)`: the one way the window and the command line connect it, so both
    /// save it alike in the database they share.
    pub fn demo(
        base_url: &str,
        tenant_guid: String,
        (client_id, secret): (String, String),
        extra_root: Option<Vec<u8>>,
    ) -> Result<TenantConnection, AppError> {
        Ok(TenantConnection {
            id: TenantConnection::DEMO_ID.into(),
            name: "Contoso (demo)".into(),
            is_demo: true,
            tenant_guid,
            cloud: Cloud::custom(base_url)
                .map_err(|err| AppError::new(ErrorCode::Invalid, err.to_string()))?,
            auth: TenantAuth::AppSecret { client_id, secret },
            extra_root,
        })
    }
}

pub struct Session {
    pub(crate) graph: GraphClient,
    /// The person's sign-in, for interactive tenants.
    pub(crate) public: Option<Arc<PublicClient>>,
    /// For an app-only credential: the application, as the audit log names it when it acts
    /// unattended.
    pub(crate) application: Option<String>,
    /// Whether a token was obtained and a Graph read succeeded with this connection: only then
    /// is the tenant shown as connected.
    pub(crate) reach: Mutex<Reach>,
}

/// What the last attempt to read the tenant found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Nothing was read yet.
    #[default]
    Untried,
    /// A token was obtained and a Graph read succeeded.
    Reached,
    /// The last attempt failed, for this reason.
    Failed(String),
}

impl Session {
    pub(crate) fn new(
        graph: GraphClient,
        public: Option<Arc<PublicClient>>,
        application: Option<String>,
    ) -> Session {
        Session { graph, public, application, reach: Mutex::default() }
    }

    pub(crate) fn reach(&self) -> Reach {
        lock(&self.reach).clone()
    }

    pub(crate) fn set_reach(&self, reach: Reach) {
        *lock(&self.reach) = reach;
    }
}

/// The application: cheap to clone, safe to share between the window's commands.
#[derive(Clone)]
pub struct App {
    pub(crate) store: Arc<Mutex<Store>>,
    pub(crate) sessions: Arc<Mutex<HashMap<String, Arc<Session>>>>,
    pub(crate) clock: Clock,
    /// This installation, for the audit events of set-up that no person of a tenant does
    /// (connecting a tenant, saving its settings).
    pub(crate) actor: String,
    /// Where refresh tokens are kept: memory until [`App::use_os_keychain`].
    pub(crate) vault: Arc<Mutex<Arc<dyn TokenVault>>>,
    /// The person acting on each tenant (signed in, or chosen on the demo tenant), shared by
    /// every clone: the only source of who decides, confirms or applies.
    pub(crate) people: Arc<Mutex<HashMap<String, crate::authority::Actor>>>,
    /// Whether this handle acts for the people of the session or as the application itself.
    pub(crate) mode: crate::authority::Mode,
    /// The tenants an apply runs on in this process, with who runs it: the in-process half of
    /// the apply lease.
    pub(crate) applying: Arc<Mutex<HashMap<String, String>>>,
    /// The database file, beside which each tenant's apply lock file lives (`None` in memory).
    pub(crate) db_path: Option<std::path::PathBuf>,
    /// Held while the signing key is read or made, so two exports never make two keys.
    pub(crate) signing: Arc<Mutex<()>>,
    /// The thread every [`App::with_store`] call runs on.
    pub(crate) store_thread: crate::store_thread::StoreThread,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("actor", &self.actor)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// A lock file beside the database, as [`App::lock_beside_db`] found it.
pub(crate) enum BesideDb {
    /// Locked by this process until the file is dropped; the system unlocks it if the process
    /// dies, however it ends.
    Locked(std::fs::File),
    /// Another process on this machine holds it.
    Busy,
    /// The database is in memory: nothing else can share it, so there is nothing to lock.
    InMemory,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves SQLite consistent (the transaction rolled back), so
    // the data behind a poisoned lock is still good to use.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl App {
    /// Opens (or creates) the database at `db_path`.
    pub fn open(db_path: &Path, clock: Clock) -> Result<App, AppError> {
        if let Some(dir) = db_path.parent() {
            std::fs::create_dir_all(dir).map_err(|err| {
                AppError::new(ErrorCode::Storage, format!("cannot create {}: {err}", dir.display()))
            })?;
        }
        Ok(App {
            db_path: Some(db_path.to_path_buf()),
            ..App::from_store(Store::open(db_path)?, clock)?
        })
    }

    pub fn open_in_memory(clock: Clock) -> Result<App, AppError> {
        App::from_store(Store::open_in_memory()?, clock)
    }

    fn from_store(store: Store, clock: Clock) -> Result<App, AppError> {
        Ok(App {
            store: Arc::new(Mutex::new(store)),
            sessions: Arc::default(),
            clock,
            actor: format!("recert@{}", std::env::consts::OS),
            vault: Arc::new(Mutex::new(Arc::new(MemoryVault::default()))),
            people: Arc::default(),
            mode: crate::authority::Mode::People,
            applying: Arc::default(),
            db_path: None,
            signing: Arc::default(),
            store_thread: crate::store_thread::StoreThread::start()?,
        })
    }

    /// Keeps refresh tokens where sign-ins outlive the process from now on: the file
    /// `RECERT_TOKEN_FILE` names when it is set (chosen explicitly, for machines without a
    /// credential store, such as a CI runner), else the OS keychain, else memory with a warning
    /// where the machine has none. Tests that never call it need no keychain.
    pub async fn use_os_keychain(&self) {
        let vault: Arc<dyn TokenVault> = match std::env::var_os(TOKEN_FILE) {
            Some(path) if !path.is_empty() => {
                self.use_token_file(Path::new(&path));
                return;
            }
            _ => recert_graph::default_vault("Recert").await,
        };
        *lock(&self.vault) = vault;
    }

    /// Keeps refresh tokens in `path` (owner-only) from now on: what `RECERT_TOKEN_FILE` chooses.
    pub fn use_token_file(&self, path: &Path) {
        *lock(&self.vault) = Arc::new(recert_graph::FileVault::new(path));
    }

    /// Whether sign-ins outlive this process.
    pub fn keeps_sign_ins(&self) -> bool {
        lock(&self.vault).is_persistent()
    }

    pub fn system_clock() -> Clock {
        Arc::new(Utc::now)
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Registers the tenant and prepares its Graph client. Signing in happens on first use.
    pub fn connect(&self, connection: TenantConnection) -> Result<TenantDto, AppError> {
        let http = recert_graph::http_client(connection.extra_root.as_deref())?;
        let mut public = None;
        let application = match &connection.auth {
            TenantAuth::AppSecret { client_id, .. }
            | TenantAuth::AppCertificate { client_id, .. } => {
                Some(format!("application {client_id}"))
            }
            TenantAuth::AzureCli => Some("the Azure CLI sign-in".to_string()),
            TenantAuth::Interactive { .. } => None,
        };
        let credential: Arc<dyn recert_graph::TokenCredential> = match &connection.auth {
            TenantAuth::AppSecret { client_id, secret } => recert_graph::app_only_secret(
                &connection.cloud,
                http.clone(),
                &connection.tenant_guid,
                client_id,
                secret,
            )?,
            TenantAuth::AppCertificate { client_id, pem } => recert_graph::app_only_certificate(
                &connection.cloud,
                http.clone(),
                &connection.tenant_guid,
                client_id,
                pem,
            )?,
            TenantAuth::Interactive { client_id } => {
                let vault = lock(&self.vault).clone();
                let client = PublicClient::new(
                    connection.cloud.clone(),
                    http.clone(),
                    &connection.tenant_guid,
                    client_id,
                    vault,
                    &format!("{}:{}:{client_id}", connection.id, connection.tenant_guid),
                );
                public = Some(client.clone());
                client
            }
            TenantAuth::AzureCli => recert_graph::azure_cli(Some(&connection.tenant_guid))?,
        };
        let graph = GraphClient::new(http, connection.cloud.clone(), credential);
        let record = TenantRecord {
            id: connection.id.clone(),
            name: connection.name.clone(),
            kind: if connection.is_demo { TenantKind::Demo } else { TenantKind::Entra },
            tenant_guid: connection.tenant_guid.clone(),
        };
        lock(&self.store).upsert_tenant(&record, &self.actor, self.now())?;
        let dto = tenant_dto(&record);
        lock(&self.sessions)
            .insert(connection.id, Arc::new(Session::new(graph, public, application)));
        Ok(dto)
    }

    pub(crate) fn session(&self, tenant_id: &str) -> Result<Arc<Session>, AppError> {
        lock(&self.sessions).get(tenant_id).cloned().ok_or_else(|| {
            AppError::new(
                ErrorCode::TenantNotFound,
                format!("tenant {tenant_id:?} is not connected"),
            )
        })
    }

    /// Tries the lock file `<database file name><suffix>` beside the database (`what` names it in
    /// errors). One helper for every such lock (the schedule's, each tenant's apply), so they all
    /// live beside the database they guard and are opened and locked the same way.
    pub(crate) fn lock_beside_db(&self, suffix: &str, what: &str) -> Result<BesideDb, AppError> {
        let Some(db) = &self.db_path else { return Ok(BesideDb::InMemory) };
        let mut name = db.file_name().unwrap_or_default().to_os_string();
        name.push(suffix);
        let path = db.with_file_name(name);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|err| {
                AppError::new(
                    ErrorCode::Storage,
                    format!("cannot open the {what} {}: {err}", path.display()),
                )
            })?;
        match file.try_lock() {
            Ok(()) => Ok(BesideDb::Locked(file)),
            Err(std::fs::TryLockError::WouldBlock) => Ok(BesideDb::Busy),
            Err(std::fs::TryLockError::Error(err)) => Err(AppError::new(
                ErrorCode::Storage,
                format!("cannot lock the {what} {}: {err}", path.display()),
            )),
        }
    }

    /// Runs blocking store work off the async executor, on the database's own thread.
    pub(crate) async fn with_store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        self.store_thread.run(&self.store, work).await
    }

    /// How many pieces of database work were asked for so far, by this app and its clones: a
    /// figure that stops moving when the app is idle.
    pub fn store_work(&self) -> u64 {
        self.store_thread.sent()
    }

    /// Gives the database's page cache back to the allocator (it fills again as pages are
    /// read): what an idle window keeps of the last search or pull is then only what it shows.
    pub async fn release_cache(&self) -> Result<(), AppError> {
        self.with_store(|store| Ok(store.release_cache()?)).await
    }
}

pub(crate) fn tenant_dto(record: &TenantRecord) -> TenantDto {
    TenantDto {
        id: record.id.clone(),
        name: record.name.clone(),
        tenant_guid: record.tenant_guid.clone(),
        is_demo: record.kind == TenantKind::Demo,
    }
}
