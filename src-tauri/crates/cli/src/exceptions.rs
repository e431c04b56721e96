//! `recert-cli campaign exceptions|exception`: the campaign's exceptions register, and recording
//! an exception's owner, expiry and compensating control (governance admins).

use recert_app::AppError;
use recert_app::dto::{ExceptionDto, ExceptionTermsDto};

use crate::session::Session;

fn print(json: bool, register: &[ExceptionDto]) {
    if json {
        println!("{}", serde_json::to_string_pretty(register).unwrap_or_default());
        return;
    }
    if register.is_empty() {
        println!("No exceptions.");
    }
    for e in register {
        println!("item {} · {} · {} · {}", e.item_id, e.principal, e.role, e.standing);
        println!("  reason: {}", e.reason);
        match (&e.owner, &e.expires_on, &e.control) {
            (Some(owner), Some(expires), Some(control)) => {
                println!("  owner {owner}, expires {expires}, compensating control: {control}")
            }
            _ => println!("  no owner, expiry or control recorded yet"),
        }
    }
}

pub async fn list(campaign: &str, session: &mut Session, json: bool) -> Result<(), AppError> {
    let register = session.app.exceptions(campaign).await?;
    print(json, &register);
    Ok(())
}

pub async fn register(
    campaign: &str,
    item: u32,
    terms: ExceptionTermsDto,
    session: &mut Session,
    json: bool,
) -> Result<(), AppError> {
    session.act_on_campaign(campaign).await?;
    let register = session.app.register_exception(campaign, item, terms).await?;
    print(json, &register);
    Ok(())
}
