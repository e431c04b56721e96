//! A person at the emulator's login page, for tests that sign in the way the window does: Recert
//! opens the page, the person picks the first account on it (the suggested one when there is a
//! hint), and Recert redeems the answer.

use recert_app::App;
use recert_emulator::Emulator;

/// Plays the person at the login page: pick the first account, follow the redirect home.
pub async fn browse(emu: &Emulator, url: String) -> Result<(), String> {
    let cert = reqwest::Certificate::from_der(&emu.certificate_der().ok_or("no TLS")?)
        .map_err(|e| e.to_string())?;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_merge([cert])
        .build()
        .map_err(|e| e.to_string())?;
    let html = browser
        .get(&url)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    let start = html.find("class=\"user\" href=\"").ok_or("no account to pick")? + 19;
    let end = start + html[start..].find('"').ok_or("no link end")?;
    let link = html[start..end].replace("&amp;", "&");
    // As a browser does: the link is relative to the page's own URL.
    let pick = reqwest::Url::parse(&url).and_then(|u| u.join(&link)).map_err(|e| e.to_string())?;
    let picked = browser.get(pick).send().await.map_err(|e| e.to_string())?;
    let home = picked
        .headers()
        .get("location")
        .ok_or("no redirect")?
        .to_str()
        .map_err(|e| e.to_string())?
        .to_string();
    reqwest::get(home).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// A whole interactive sign-in to `tenant` through the login page, suggesting `hint`.
pub async fn sign_in_on_page(
    app: &App,
    emu: &Emulator,
    tenant: &str,
    hint: Option<&str>,
) -> recert_app::dto::SignedInDto {
    let (opened, page) = tokio::sync::oneshot::channel();
    let sign_in = app.sign_in_interactive_as(tenant, hint, move |url| {
        opened.send(url.to_string()).map_err(|_| "nobody is at the browser".to_string())
    });
    let person = async { browse(emu, page.await.map_err(|e| e.to_string())?).await };
    let (identity, browsed) = tokio::join!(sign_in, person);
    browsed.expect("the person picked an account");
    identity.expect("signed in")
}

/// Lets people of the harness tenant sign in through the emulator's public client, as the demo
/// tenant does in the window (its reads stay app-only).
pub fn allow_sign_in(h: &crate::Harness) {
    let cloud = recert_app::Cloud::custom(&h.emulator.base_url()).expect("the emulator's URL");
    let cert = h.emulator.certificate_der();
    h.app
        .allow_people_sign_in(
            &h.tenant_id,
            cloud,
            &h.emulator.tenant_id(),
            &h.emulator.public_client_id(),
            cert.as_deref(),
        )
        .expect("people may sign in");
}

/// Signs `upn` in to the harness tenant through the login page: they act from now on, freshly
/// authenticated.
pub async fn sign_in(h: &crate::Harness, upn: &str) -> recert_app::dto::SignedInDto {
    sign_in_on_page(&h.app, &h.emulator, &h.tenant_id, Some(upn)).await
}
