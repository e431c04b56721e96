//! Commands about tenants: the demo tenant, real tenants' settings and connection, who acts on
//! each (people's sign-in — in a window of the app for the demo tenant — and the demo tenant's
//! "act as"), and pulled populations.

use std::sync::Arc;

use recert_app::campaigns::dto::IdentityDto;
use recert_app::dto::{
    ActingDto, DeviceCodeDto, PullDto, PullProgressDto, RoleSummaryDto, TenantCheckDto, TenantDto,
    TenantListItemDto, TenantSettingsDto,
};
use recert_app::{AppError, CancellationToken, ErrorCode};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};
use tokio::sync::Notify;

use crate::Shell;

/// The demo tenant, once it is connected and its first pull is stored.
#[tauri::command]
pub async fn demo_tenant(shell: State<'_, Shell>) -> Result<TenantDto, AppError> {
    shell.demo.ready().await
}

/// Pulls the tenant again, reporting progress on `on_progress` as partitions finish.
#[tauri::command]
pub async fn tenant_pull(
    shell: State<'_, Shell>,
    tenant_id: String,
    on_progress: Channel<PullProgressDto>,
) -> Result<PullDto, AppError> {
    let report = move |p: PullProgressDto| {
        // A closed window cannot take progress any more; the pull itself goes on.
        let _ = on_progress.send(p);
    };
    shell.acting().pull_with_progress(&tenant_id, &report, CancellationToken::new()).await
}

#[tauri::command]
pub async fn role_summary(
    shell: State<'_, Shell>,
    tenant_id: String,
) -> Result<RoleSummaryDto, AppError> {
    shell.acting().role_summary(&tenant_id).await
}

/// Every known tenant with its settings, whether it is connected, and who is signed in.
#[tauri::command]
pub async fn tenants(shell: State<'_, Shell>) -> Result<Vec<TenantListItemDto>, AppError> {
    shell.acting().tenants().await
}

/// Saves a real tenant's settings (never a secret).
#[tauri::command]
pub async fn tenant_add(
    shell: State<'_, Shell>,
    settings: TenantSettingsDto,
) -> Result<TenantDto, AppError> {
    shell.acting().add_tenant(settings).await
}

/// Connects a saved tenant; app-only sign-in with a secret takes it here, held in memory only.
#[tauri::command]
pub async fn tenant_connect(
    shell: State<'_, Shell>,
    tenant_id: String,
    secret: Option<String>,
) -> Result<TenantDto, AppError> {
    let secret = secret.filter(|s| !s.is_empty());
    let tenant = shell.acting().connect_saved(&tenant_id, secret, None).await?;
    // Connected means a token and a Graph read: the check finds out and records it.
    shell.acting().tenant_check(&tenant_id).await?;
    Ok(tenant)
}

/// Who acts on the tenant in this window, and as what (a signed-in person is restored from the
/// keychain after a restart).
#[tauri::command]
pub async fn acting(shell: State<'_, Shell>, tenant_id: String) -> Result<ActingDto, AppError> {
    shell.acting().acting(&tenant_id).await
}

/// Makes `tenant_id` the window's tenant. The "act as" choice made on the tenant it leaves ends:
/// nobody is left acting there on the strength of a click made elsewhere.
#[tauri::command]
pub async fn use_tenant(shell: State<'_, Shell>, tenant_id: String) -> Result<ActingDto, AppError> {
    if let Some(left) = shell.switch_tenant(&tenant_id) {
        shell.acting().stop_acting(&left);
    }
    shell.acting().acting(&tenant_id).await
}

/// Acts as a demo tenant user without signing in; refused for real tenants.
#[tauri::command]
pub async fn act_as(
    shell: State<'_, Shell>,
    tenant_id: String,
    upn: String,
) -> Result<ActingDto, AppError> {
    shell.acting().act_as(&tenant_id, &upn).await
}

/// Stops acting as the chosen demo user.
#[tauri::command]
pub async fn stop_acting(
    shell: State<'_, Shell>,
    tenant_id: String,
) -> Result<ActingDto, AppError> {
    shell.acting().stop_acting(&tenant_id);
    shell.acting().acting(&tenant_id).await
}

/// A user of the tenant by UPN, for forms that name people; never changes who acts.
#[tauri::command]
pub async fn find_person(
    shell: State<'_, Shell>,
    tenant_id: String,
    upn: String,
) -> Result<IdentityDto, AppError> {
    shell.acting().find_person(&tenant_id, &upn).await
}

/// The people pickers' search: users whose name, UPN or mail matches `term`, from the pulled
/// directory first, then the tenant itself; never changes who acts.
#[tauri::command]
pub async fn search_people(
    shell: State<'_, Shell>,
    tenant_id: String,
    term: String,
) -> Result<Vec<recert_app::PersonDto>, AppError> {
    shell.acting().search_people(&tenant_id, &term).await
}

/// Signs a person in with the authorization-code flow. On the demo tenant the login page opens
/// in a window of the app: it is served by the built-in emulator, whose certificate only Recert
/// trusts. On real tenants it opens in the system browser, as Microsoft asks of desktop apps.
#[tauri::command]
pub async fn sign_in(
    handle: AppHandle,
    shell: State<'_, Shell>,
    tenant_id: String,
    login_hint: Option<String>,
) -> Result<ActingDto, AppError> {
    let hint = login_hint.as_deref().map(str::trim).filter(|h| !h.is_empty());
    if let Some(pem) = shell.demo.login_certificate(&tenant_id).await {
        let closed = Arc::new(Notify::new());
        let signing_in = shell.app.sign_in_interactive_as(&tenant_id, hint, |url| {
            sign_in_window::open(&handle, url, &pem, closed.clone())
        });
        let result = tokio::select! {
            result = signing_in => result,
            () = closed.notified() => Err(AppError::new(
                ErrorCode::Cancelled,
                "the sign-in window was closed before an account was picked",
            )),
        };
        if let Some(window) = handle.get_webview_window(sign_in_window::LABEL) {
            let _ = window.destroy();
        }
        result?;
    } else {
        shell
            .app
            .sign_in_interactive_as(&tenant_id, hint, |url| {
                open::that_detached(url).map_err(|err| err.to_string())
            })
            .await?;
    }
    shell.acting().acting(&tenant_id).await
}

/// Signs a person in with a device code, for machines where no browser can reach the loopback:
/// the code to type is sent on `on_code`, then the call waits for the person.
#[tauri::command]
pub async fn sign_in_device_code(
    shell: State<'_, Shell>,
    tenant_id: String,
    on_code: Channel<DeviceCodeDto>,
) -> Result<ActingDto, AppError> {
    shell
        .app
        .sign_in_device_code(&tenant_id, |code| {
            let _ = on_code.send(code.clone());
        })
        .await?;
    shell.acting().acting(&tenant_id).await
}

/// Signs out: forgets the tokens in memory and in the keychain; nobody acts on the tenant.
#[tauri::command]
pub async fn sign_out(shell: State<'_, Shell>, tenant_id: String) -> Result<ActingDto, AppError> {
    shell.acting().sign_out(&tenant_id).await?;
    shell.acting().acting(&tenant_id).await
}

/// The tenant's preflight: a ✓/✗ table, each ✗ with its fix. The tenant shows as connected
/// only once a token was obtained and a Graph read succeeded.
#[tauri::command]
pub async fn tenant_check(
    shell: State<'_, Shell>,
    tenant_id: String,
) -> Result<TenantCheckDto, AppError> {
    shell.acting().tenant_check(&tenant_id).await
}

/// The window that shows a login page inside the app.
mod sign_in_window {
    use std::sync::Arc;

    use tauri::{AppHandle, WebviewUrl, WebviewWindow, WebviewWindowBuilder, WindowEvent};
    use tokio::sync::Notify;

    pub const LABEL: &str = "sign-in";

    /// Opens `url` in the sign-in window, trusting `pem` for the login page's host first, and
    /// notifies `closed` if the person closes the window.
    pub fn open(
        handle: &AppHandle,
        url: &str,
        pem: &str,
        closed: Arc<Notify>,
    ) -> Result<(), String> {
        let target: tauri::Url = url.parse().map_err(|err| format!("bad sign-in URL: {err}"))?;
        if let Some(old) = tauri::Manager::get_webview_window(handle, LABEL) {
            let _ = old.destroy();
        }
        // Blank first: the certificate must be trusted before the login page starts loading.
        let blank: tauri::Url = "about:blank".parse().map_err(|err| format!("{err}"))?;
        let window = WebviewWindowBuilder::new(handle, LABEL, WebviewUrl::External(blank))
            .title("Sign in to Recert")
            .inner_size(520.0, 680.0)
            .build()
            .map_err(|err| format!("cannot open the sign-in window: {err}"))?;
        if let Some(host) = target.host_str() {
            trust(&window, pem, host)?;
        }
        window.on_window_event(move |event| {
            if matches!(event, WindowEvent::Destroyed) {
                closed.notify_one();
            }
        });
        window.navigate(target).map_err(|err| format!("cannot show the sign-in page: {err}"))
    }

    /// Trusts the emulator's self-signed certificate for `host` in the window's web context.
    #[cfg(target_os = "linux")]
    fn trust(window: &WebviewWindow, pem: &str, host: &str) -> Result<(), String> {
        use webkit2gtk::{WebContextExt, WebViewExt};
        let (pem, host) = (pem.to_string(), host.to_string());
        let (done, trusted) = std::sync::mpsc::channel();
        window
            .with_webview(move |webview| {
                // GLib objects stay on the UI thread: the certificate is parsed here.
                let outcome = webkit2gtk::gio::TlsCertificate::from_pem(&pem)
                    .map_err(|err| format!("the demo tenant's certificate is unreadable: {err}"))
                    .and_then(|certificate| {
                        let context = webview
                            .inner()
                            .context()
                            .ok_or("the sign-in window has no web context")?;
                        context.allow_tls_certificate_for_host(&certificate, &host);
                        Ok(())
                    });
                let _ = done.send(outcome);
            })
            .map_err(|err| format!("cannot reach the sign-in window: {err}"))?;
        trusted
            .recv_timeout(std::time::Duration::from_secs(10))
            .map_err(|_| "the sign-in window did not start".to_string())?
    }

    #[cfg(not(target_os = "linux"))]
    fn trust(_: &WebviewWindow, _: &str, _: &str) -> Result<(), String> {
        Err("the demo tenant's login page opens in a window on Linux only".into())
    }
}
