//! Shared helpers: start an emulator, build a client that trusts it, get tokens, page through lists.

use recert_emulator::{Emulator, GenerateOptions, Options, Tenant};
use serde_json::Value;

pub struct Env {
    pub emu: Emulator,
    pub http: reqwest::Client,
}

pub fn client(emu: &Emulator) -> reqwest::Client {
    let mut b = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if let Some(der) = emu.certificate_der() {
        b = b.tls_certs_only([
            reqwest::Certificate::from_der(&der).expect("the emulator's certificate parses")
        ]);
    }
    b.build().expect("client builds")
}

pub async fn start(tenant: Tenant, options: Options) -> Env {
    let emu = Emulator::start(tenant, options).await.expect("emulator starts");
    let http = client(&emu);
    Env { emu, http }
}

pub async fn demo() -> Env {
    start(Tenant::demo(), Options::default()).await
}

pub fn small_tenant(seed: u64) -> Tenant {
    Tenant::generate(&GenerateOptions {
        seed,
        users: 120,
        assignments: 400,
        ..GenerateOptions::default()
    })
}

impl Env {
    pub fn graph(&self, path: &str) -> String {
        format!("{}/graph/v1.0{path}", self.emu.base_url())
    }

    pub async fn token_for(&self, client_id: &str, secret: &str, scope: &str) -> reqwest::Response {
        let url =
            format!("{}/login/{}/oauth2/v2.0/token", self.emu.base_url(), self.emu.tenant_id());
        self.http
            .post(url)
            .form(&[
                ("client_id", client_id),
                ("client_secret", secret),
                ("grant_type", "client_credentials"),
                ("scope", scope),
            ])
            .send()
            .await
            .expect("token request is answered")
    }

    /// An app-only Graph token of the built-in app registration.
    pub async fn graph_token(&self) -> String {
        let (id, secret) = self.emu.app_client();
        self.token(&id, &secret, "https://graph.microsoft.com/.default").await
    }

    pub async fn token(&self, id: &str, secret: &str, scope: &str) -> String {
        let r = self.token_for(id, secret, scope).await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("token JSON");
        v["access_token"].as_str().expect("access_token").to_string()
    }

    pub async fn get(&self, token: &str, url: &str) -> (u16, Value) {
        let r = self.http.get(url).bearer_auth(token).send().await.expect("GET is answered");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, token: &str, url: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("POST is answered");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Follows `@odata.nextLink` (or ARM's `nextLink`) to the end; returns every item and the page count.
    pub async fn get_all(&self, token: &str, url: &str) -> (Vec<Value>, usize) {
        let mut items = Vec::new();
        let mut next = Some(url.to_string());
        let mut pages = 0;
        while let Some(u) = next {
            let (status, v) = self.get(token, &u).await;
            assert_eq!(status, 200, "{u}: {v}");
            pages += 1;
            items.extend(v["value"].as_array().cloned().unwrap_or_default());
            next = v
                .get("@odata.nextLink")
                .or_else(|| v.get("nextLink"))
                .and_then(Value::as_str)
                .map(str::to_string);
            assert!(pages < 10_000, "paging does not end");
        }
        (items, pages)
    }
}

pub fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}
