//! OData query options as Graph's directory endpoints accept them: the `$filter` forms
//! the tool needs (`prop eq '…'`, `tags/any(t:t eq '…')`, joined with ` and `), `$select`,
//! `$top` (1–999), `$skiptoken` paging with absolute `@odata.nextLink`
//! (docs/graph.md §1, §2.1). Anything else is refused, not ignored: a client that
//! relies on an option the emulator does not check would not be proven by it.

use serde_json::{Map, Value, json};

use super::super::util::{b64url, b64url_decode};
use super::{Ctx, GErr};

/// What a collection supports.
pub(crate) struct EntityMeta {
    /// Entity set name, e.g. `applications`.
    pub set: &'static str,
    /// OData type name, e.g. `application` (for `microsoft.graph.application`).
    pub type_name: &'static str,
    /// Resource name in filter errors, e.g. `Application`.
    pub resource: &'static str,
    /// Properties `$select` accepts.
    pub properties: &'static [&'static str],
    /// Properties filterable with `eq`.
    pub eq: &'static [&'static str],
    /// Collection properties filterable with `/any(x:x eq '…')`.
    pub any: &'static [&'static str],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Clause {
    Eq(String, String),
    AnyEq(String, String),
}

impl Clause {
    /// Directory string comparisons are case-insensitive [inf]; callers still have to
    /// compare exactly themselves when it matters (display names are not unique).
    pub fn matches(&self, get: &dyn Fn(&str) -> Vec<String>) -> bool {
        let (Self::Eq(prop, value) | Self::AnyEq(prop, value)) = self;
        get(prop).iter().any(|v| v.eq_ignore_ascii_case(value))
    }
}

/// A parsed list request.
pub(crate) struct ListQuery {
    pub filter: Vec<Clause>,
    pub select: Option<Vec<String>>,
    pub top: Option<usize>,
    pub skip: usize,
}

impl ListQuery {
    pub fn matches(&self, get: &dyn Fn(&str) -> Vec<String>) -> bool {
        self.filter.iter().all(|c| c.matches(get))
    }

    pub fn selects(&self, prop: &str) -> bool {
        self.select
            .as_ref()
            .is_none_or(|s| s.iter().any(|p| p == prop))
    }
}

const SUPPORTED: &[&str] = &["$filter", "$select", "$top", "$skiptoken"];
const KNOWN_UNSUPPORTED: &[&str] = &[
    "$orderby", "$expand", "$count", "$search", "$skip", "$format", "$levels", "$apply",
];

fn unsupported_query(message: impl Into<String>) -> GErr {
    GErr::new(400, "Request_UnsupportedQuery", message)
}

/// Checks the query options of any request: duplicates and unknown `$` options are
/// errors. Options without `$` are ignored, as Graph ignores unknown parameters [inf].
fn check_options(ctx: &Ctx<'_>, allowed: &[&str]) -> Result<(), GErr> {
    let q = &ctx.req.query;
    for (i, (k, _)) in q.iter().enumerate() {
        if !k.starts_with('$') {
            continue;
        }
        if q[..i].iter().any(|(prev, _)| prev == k) {
            return Err(GErr::new(
                400,
                "BadRequest",
                format!(
                    "Query option '{k}' was specified more than once, but it must be specified at most once."
                ),
            ));
        }
        if allowed.contains(&k.as_str()) {
            continue;
        }
        if KNOWN_UNSUPPORTED.contains(&k.as_str()) || SUPPORTED.contains(&k.as_str()) {
            return Err(unsupported_query(format!(
                "The query option '{k}' is not supported on this request by the emulator."
            )));
        }
        return Err(GErr::new(
            400,
            "BadRequest",
            format!("The query parameter '{k}' is not supported."),
        ));
    }
    Ok(())
}

/// `$select` for a single-entity read (no other options allowed).
pub(crate) fn entity_select(ctx: &Ctx<'_>, meta: &EntityMeta) -> Result<Option<Vec<String>>, GErr> {
    check_options(ctx, &["$select"])?;
    parse_select(ctx, meta)
}

/// No query options at all (writes).
pub(crate) fn no_options(ctx: &Ctx<'_>) -> Result<(), GErr> {
    check_options(ctx, &[])
}

fn parse_select(ctx: &Ctx<'_>, meta: &EntityMeta) -> Result<Option<Vec<String>>, GErr> {
    let Some(raw) = ctx.req.query_value("$select") else {
        return Ok(None);
    };
    let mut props = Vec::new();
    for p in raw.split(',').map(str::trim) {
        if !meta.properties.contains(&p) {
            return Err(GErr::bad_request(format!(
                "Could not find a property named '{p}' on type 'microsoft.graph.{}'.",
                meta.type_name
            )));
        }
        if !props.iter().any(|x| x == p) {
            props.push(p.to_owned());
        }
    }
    Ok(Some(props))
}

pub(crate) fn list_query(ctx: &Ctx<'_>, meta: &EntityMeta) -> Result<ListQuery, GErr> {
    check_options(ctx, SUPPORTED)?;
    let select = parse_select(ctx, meta)?;
    let filter = match ctx.req.query_value("$filter") {
        Some(f) => parse_filter(f, meta)?,
        None => Vec::new(),
    };
    let top = match ctx.req.query_value("$top") {
        None => None,
        Some(t) => match t.trim().parse::<usize>() {
            Ok(n) if (1..=999).contains(&n) => Some(n),
            _ => {
                return Err(GErr::bad_request(format!(
                    "Invalid page size specified: '{t}'. Must be between 1 and 999 inclusive."
                )));
            }
        },
    };
    let skip = match ctx.req.query_value("$skiptoken") {
        None => 0,
        Some(t) => decode_skiptoken(t).ok_or_else(|| {
            GErr::bad_request("The specified page token value has expired or is invalid.")
        })?,
    };
    Ok(ListQuery {
        filter,
        select,
        top,
        skip,
    })
}

const SKIP_PREFIX: &str = "RFNwdAIAAQAAAC";

fn encode_skiptoken(offset: usize) -> String {
    format!(
        "{SKIP_PREFIX}{}",
        b64url(format!("emulator-offset:{offset}").as_bytes())
    )
}

fn decode_skiptoken(token: &str) -> Option<usize> {
    let raw = b64url_decode(token.strip_prefix(SKIP_PREFIX)?)?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("emulator-offset:")?
        .parse()
        .ok()
}

/// Parses the supported `$filter` grammar. Clauses joined by ` and `; each is
/// `prop eq 'literal'` or `prop/any(v:v eq 'literal')`; literals use OData quoting
/// (`''` is a quote).
pub(crate) fn parse_filter(raw: &str, meta: &EntityMeta) -> Result<Vec<Clause>, GErr> {
    let mut clauses = Vec::new();
    let mut p = Parser {
        s: raw.as_bytes(),
        i: 0,
    };
    loop {
        p.ws();
        clauses.push(p.clause(meta)?);
        p.ws();
        if p.done() {
            break;
        }
        if !p.eat_word("and") {
            return Err(unsupported_query(format!(
                "Invalid filter clause: unsupported or invalid syntax at position {} in '{raw}'.",
                p.i
            )));
        }
    }
    Ok(clauses)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i] == b' ' {
            self.i += 1;
        }
    }

    fn ident(&mut self) -> String {
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// A keyword followed by a space (or end).
    fn eat_word(&mut self, w: &str) -> bool {
        let end = self.i + w.len();
        if self.s.get(self.i..end) == Some(w.as_bytes())
            && self.s.get(end).is_none_or(|c| *c == b' ')
        {
            self.i = end;
            true
        } else {
            false
        }
    }

    fn literal(&mut self) -> Option<String> {
        if !self.eat(b'\'') {
            return None;
        }
        let mut out = Vec::new();
        loop {
            match self.s.get(self.i) {
                None => return None,
                Some(b'\'') if self.s.get(self.i + 1) == Some(&b'\'') => {
                    out.push(b'\'');
                    self.i += 2;
                }
                Some(b'\'') => {
                    self.i += 1;
                    return String::from_utf8(out).ok();
                }
                Some(c) => {
                    out.push(*c);
                    self.i += 1;
                }
            }
        }
    }

    fn clause(&mut self, meta: &EntityMeta) -> Result<Clause, GErr> {
        let invalid = |what: &str| unsupported_query(format!("Invalid filter clause: {what}."));
        let prop = self.ident();
        if prop.is_empty() {
            return Err(invalid("a property name was expected"));
        }
        let unsupported = |prop: &str| {
            unsupported_query(format!(
                "Unsupported or invalid query filter clause specified for property '{prop}' of resource '{}'.",
                meta.resource
            ))
        };
        if self.eat(b'/') {
            // prop/any(v:v eq 'x')
            if self.ident() != "any" || !self.eat(b'(') {
                return Err(unsupported(&prop));
            }
            self.ws();
            let var = self.ident();
            if var.is_empty() || !self.eat(b':') {
                return Err(invalid("a lambda variable was expected"));
            }
            self.ws();
            if self.ident() != var {
                return Err(invalid("the lambda variable must be compared"));
            }
            self.ws();
            if !self.eat_word("eq") {
                return Err(unsupported(&prop));
            }
            self.ws();
            let value = self
                .literal()
                .ok_or_else(|| invalid("a quoted string literal was expected"))?;
            self.ws();
            if !self.eat(b')') {
                return Err(invalid("')' was expected"));
            }
            if !meta.any.contains(&prop.as_str()) {
                return Err(unsupported(&prop));
            }
            return Ok(Clause::AnyEq(prop, value));
        }
        self.ws();
        if !self.eat_word("eq") {
            return Err(unsupported(&prop));
        }
        self.ws();
        let value = self
            .literal()
            .ok_or_else(|| invalid("a quoted string literal was expected"))?;
        if !meta.eq.contains(&prop.as_str()) {
            return Err(unsupported(&prop));
        }
        Ok(Clause::Eq(prop, value))
    }
}

/// Keeps only the selected properties of an entity (and its annotations, such as
/// `@odata.type`).
pub(crate) fn project(value: Value, select: Option<&[String]>) -> Value {
    match (select, value) {
        (Some(props), Value::Object(map)) => {
            let kept: Map<String, Value> = map
                .into_iter()
                .filter(|(k, _)| k.starts_with('@') || props.iter().any(|p| p == k))
                .collect();
            Value::Object(kept)
        }
        (_, v) => v,
    }
}

/// `@odata.context` of a collection or entity.
pub(crate) fn context(
    ctx: &Ctx<'_>,
    meta: &EntityMeta,
    select: Option<&[String]>,
    entity: bool,
) -> String {
    let sel = select
        .map(|s| format!("({})", s.join(",")))
        .unwrap_or_default();
    let tail = if entity { "/$entity" } else { "" };
    format!("{}/$metadata#{}{sel}{tail}", ctx.root, meta.set)
}

/// One page of a collection: `value`, `@odata.context`, and an absolute
/// `@odata.nextLink` when more remain.
pub(crate) fn page(
    ctx: &Ctx<'_>,
    meta: &EntityMeta,
    q: &ListQuery,
    items: Vec<Value>,
    default_page_size: usize,
) -> Value {
    let size = q.top.unwrap_or(default_page_size).max(1);
    let total = items.len();
    let start = q.skip.min(total);
    let end = (start + size).min(total);
    let value: Vec<Value> = items
        .into_iter()
        .skip(start)
        .take(end - start)
        .map(|v| project(v, q.select.as_deref()))
        .collect();
    let mut out = json!({
        "@odata.context": context(ctx, meta, q.select.as_deref(), false),
        "value": value,
    });
    if end < total {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &ctx.req.query {
            if k != "$skiptoken" {
                ser.append_pair(k, v);
            }
        }
        ser.append_pair("$skiptoken", &encode_skiptoken(end));
        if let Value::Object(map) = &mut out {
            map.insert(
                "@odata.nextLink".to_owned(),
                json!(format!("{}/{}?{}", ctx.root, meta.set, ser.finish())),
            );
        }
    }
    out
}

#[cfg(test)]
mod unit {
    use super::*;

    const META: EntityMeta = EntityMeta {
        set: "applications",
        type_name: "application",
        resource: "Application",
        properties: &["id"],
        eq: &["displayName", "appId"],
        any: &["tags"],
    };

    #[test]
    fn filter_forms_and_quoting() {
        let c = parse_filter("displayName eq 'O''Brien' and tags/any(t:t eq 'x')", &META).unwrap();
        assert_eq!(
            c,
            vec![
                Clause::Eq("displayName".into(), "O'Brien".into()),
                Clause::AnyEq("tags".into(), "x".into())
            ]
        );
        assert!(parse_filter("tags/any(x: x eq 'y')", &META).is_ok());
        for bad in [
            "startswith(displayName,'a')",
            "displayName ne 'a'",
            "notes eq 'a'",
            "displayName eq 'a' or appId eq 'b'",
            "displayName eq 'unterminated",
            "appId/any(t:t eq 'a')",
        ] {
            let e = parse_filter(bad, &META).unwrap_err();
            assert_eq!(e.code, "Request_UnsupportedQuery", "{bad}");
        }
    }

    #[test]
    fn skiptoken_round_trips() {
        assert_eq!(decode_skiptoken(&encode_skiptoken(42)), Some(42));
        assert_eq!(decode_skiptoken("garbage"), None);
    }
}
