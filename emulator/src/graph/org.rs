//! `/organization` (the tenant id and verified domains; docs/graph.md §2.10) and
//! `/me` (the signed-in user of a delegated token).

use serde_json::{Value, json};

use super::super::state::State;
use super::super::util::iso_seconds;
use super::odata::{self, EntityMeta, ListQuery};
use super::{Ctx, GErr, GResult, org_read};

const META: EntityMeta = EntityMeta {
    set: "organization",
    type_name: "organization",
    resource: "Organization",
    properties: &[
        "id",
        "deletedDateTime",
        "businessPhones",
        "city",
        "country",
        "countryLetterCode",
        "createdDateTime",
        "displayName",
        "onPremisesSyncEnabled",
        "postalCode",
        "preferredLanguage",
        "state",
        "street",
        "technicalNotificationMails",
        "tenantType",
        "verifiedDomains",
    ],
    eq: &[],
    any: &[],
};

const USER_META: EntityMeta = EntityMeta {
    set: "users",
    type_name: "user",
    resource: "User",
    properties: &[
        "id",
        "displayName",
        "userPrincipalName",
        "mail",
        "givenName",
        "surname",
        "jobTitle",
        "businessPhones",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
    ],
    eq: &[],
    any: &[],
};

fn org_json(st: &State) -> Value {
    json!({
        "id": st.tenant.id,
        "deletedDateTime": null,
        "businessPhones": [],
        "city": null,
        "country": null,
        "countryLetterCode": "US",
        "createdDateTime": iso_seconds(st.tenant.created),
        "displayName": st.tenant.display_name,
        "onPremisesSyncEnabled": null,
        "postalCode": null,
        "preferredLanguage": "en",
        "state": null,
        "street": null,
        "technicalNotificationMails": [st.admin_user().user_principal_name],
        "tenantType": "AAD",
        "verifiedDomains": [{
            "capabilities": "Email, OfficeCommunicationsOnlineService",
            "isDefault": true,
            "isInitial": true,
            "name": st.tenant.domain,
            "type": "Managed",
        }],
    })
}

pub(crate) fn route(st: &mut State, ctx: &Ctx<'_>, segs: &[&str]) -> GResult {
    if ctx.req.method != "GET" {
        return Err(GErr::method_not_allowed());
    }
    match segs {
        ["organization"] => {
            if !org_read(ctx) {
                return Err(GErr::denied());
            }
            let q: ListQuery = odata::list_query(ctx, &META)?;
            if !q.filter.is_empty() {
                return Err(GErr::new(
                    400,
                    "Request_UnsupportedQuery",
                    "The emulator supports no $filter on organization.",
                ));
            }
            ctx.ok(200, &odata::page(ctx, &META, &q, vec![org_json(st)], 100))
        }
        ["organization", id] => {
            if !org_read(ctx) {
                return Err(GErr::denied());
            }
            let select = odata::entity_select(ctx, &META)?;
            if !id.eq_ignore_ascii_case(&st.tenant.id) {
                return Err(GErr::not_found(id));
            }
            let mut value = odata::project(org_json(st), select.as_deref());
            if let Value::Object(m) = &mut value {
                m.insert(
                    "@odata.context".to_owned(),
                    json!(odata::context(ctx, &META, select.as_deref(), true)),
                );
            }
            ctx.ok(200, &value)
        }
        ["me"] => {
            if !ctx.token.delegated {
                return Err(GErr::new(
                    400,
                    "BadRequest",
                    "/me request is only valid with delegated authentication flow.",
                ));
            }
            if !org_read(ctx) {
                return Err(GErr::denied());
            }
            let select = odata::entity_select(ctx, &USER_META)?;
            let u = st
                .users
                .iter()
                .find(|u| u.id == ctx.token.oid)
                .unwrap_or_else(|| st.admin_user());
            let value = json!({
                "@odata.context": format!("{}/$metadata#users/$entity", ctx.root),
                "id": u.id,
                "displayName": u.display_name,
                "userPrincipalName": u.user_principal_name,
                "mail": u.user_principal_name,
                "givenName": u.display_name.split(' ').next(),
                "surname": u.display_name.split(' ').nth(1),
                "jobTitle": null,
                "businessPhones": [],
                "mobilePhone": null,
                "officeLocation": null,
                "preferredLanguage": "en-US",
            });
            let mut value = odata::project(value, select.as_deref());
            if let (Some(_), Value::Object(m)) = (&select, &mut value) {
                m.insert(
                    "@odata.context".to_owned(),
                    json!(format!("{}/$metadata#users/$entity", ctx.root)),
                );
            }
            ctx.ok(200, &value)
        }
        [first, ..] => Err(GErr::no_segment(first)),
        [] => Err(GErr::no_segment("")),
    }
}
