//! Strict reading of JSON request bodies, with the messages Graph's OData reader gives
//! for wrong types and unknown properties. The property path is added as
//! `details[0].target` so a failing client sees which member was wrong.

use serde_json::{Map, Value};

use super::super::util::Req;
use super::GErr;

/// The body must be `application/json` and a JSON object.
pub(crate) fn object(req: &Req) -> Result<Map<String, Value>, GErr> {
    let unreadable = || {
        GErr::new(
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        )
    };
    if req.media_type().as_deref() != Some("application/json") {
        return Err(unreadable());
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(GErr::new(
            400,
            "BadRequest",
            "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A 'StartObject' node was expected.",
        )),
        Err(_) => Err(unreadable()),
    }
}

fn node(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "StartArray",
        Value::Object(_) => "StartObject",
        _ => "PrimitiveValue",
    }
}

fn reader_error(message: String, target: &str) -> GErr {
    GErr::new(400, "BadRequest", message.clone()).detail("BadRequest", message, target)
}

fn null_error(target: &str, edm: &str) -> GErr {
    let prop = target.rsplit('.').next().unwrap_or(target);
    reader_error(
        format!(
            "A null value was found for the property named '{prop}', which has the expected type '{edm}[Nullable=False]'. The expected type '{edm}[Nullable=False]' does not allow null values."
        ),
        target,
    )
}

/// An OData "property does not exist" error.
pub(crate) fn unknown_property(name: &str, type_name: &str, target: &str) -> GErr {
    reader_error(
        format!(
            "The property '{name}' does not exist on type 'microsoft.graph.{type_name}'. Make sure to only use property names that are defined by the type or mark the type as open type."
        ),
        target,
    )
}

/// A property Graph has but this body may not set.
pub(crate) fn read_only(name: &str, target: &str) -> GErr {
    // [unk] how Graph words it; strict: refused rather than ignored.
    GErr::bad_request(format!("Property '{name}' is read-only and cannot be set.")).detail(
        "ReadOnlyProperty",
        format!("'{name}' cannot be set"),
        target,
    )
}

/// A property Graph has but the emulator does not model; refused so that nothing is
/// silently accepted unchecked.
pub(crate) fn not_modelled(name: &str, type_name: &str, target: &str) -> GErr {
    GErr::bad_request(format!(
        "The emulator does not model property '{name}' of microsoft.graph.{type_name}; aad-setup should not need to send it."
    ))
    .detail("NotModelledByEmulator", format!("'{name}' is not modelled"), target)
}

pub(crate) fn string(v: &Value, target: &str) -> Result<String, GErr> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(not_a(other, target, "Edm.String")),
    }
}

/// The OData reader's answer to a value of the wrong JSON type.
fn not_a(v: &Value, target: &str, edm: &str) -> GErr {
    match v {
        Value::Null => null_error(target, edm),
        Value::Bool(_) | Value::Number(_) | Value::String(_) => reader_error(
            format!("Cannot convert the literal '{v}' to the expected type '{edm}'."),
            target,
        ),
        other => reader_error(
            format!(
                "An unexpected '{}' node was found when reading from the JSON reader. A 'PrimitiveValue' node was expected.",
                node(other)
            ),
            target,
        ),
    }
}

pub(crate) fn opt_string(v: &Value, target: &str) -> Result<Option<String>, GErr> {
    if v.is_null() {
        Ok(None)
    } else {
        string(v, target).map(Some)
    }
}

pub(crate) fn boolean(v: &Value, target: &str) -> Result<bool, GErr> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(not_a(other, target, "Edm.Boolean")),
    }
}

pub(crate) fn opt_boolean(v: &Value, target: &str) -> Result<Option<bool>, GErr> {
    if v.is_null() {
        Ok(None)
    } else {
        boolean(v, target).map(Some)
    }
}

fn array<'v>(v: &'v Value, target: &str, edm: &str) -> Result<&'v Vec<Value>, GErr> {
    match v {
        Value::Array(a) => Ok(a),
        Value::Null => Err(null_error(target, &format!("Collection({edm})"))),
        other => Err(reader_error(
            format!(
                "An unexpected '{}' node was found when reading from the JSON reader. A 'StartArray' node was expected.",
                node(other)
            ),
            target,
        )),
    }
}

pub(crate) fn strings(v: &Value, target: &str) -> Result<Vec<String>, GErr> {
    array(v, target, "Edm.String")?
        .iter()
        .map(|item| string(item, target))
        .collect()
}

pub(crate) fn object_of<'v>(v: &'v Value, target: &str) -> Result<&'v Map<String, Value>, GErr> {
    match v {
        Value::Object(m) => Ok(m),
        Value::Null => Err(null_error(target, "microsoft.graph.complexType")),
        other => Err(reader_error(
            format!(
                "An unexpected '{}' node was found when reading from the JSON reader. A 'StartObject' node was expected.",
                node(other)
            ),
            target,
        )),
    }
}

pub(crate) fn objects<'v>(v: &'v Value, target: &str) -> Result<Vec<&'v Map<String, Value>>, GErr> {
    array(v, target, "microsoft.graph.complexType")?
        .iter()
        .map(|item| object_of(item, target))
        .collect()
}

/// `@odata.type`, when sent, must name the expected type.
pub(crate) fn check_odata_type(v: &Value, type_name: &str, target: &str) -> Result<(), GErr> {
    let expected = format!("#microsoft.graph.{type_name}");
    let got = string(v, target)?;
    if got.eq_ignore_ascii_case(&expected) {
        Ok(())
    } else {
        Err(GErr::bad_request(format!(
            "A type named '{}' could not be resolved by the model. When a model is available, each type name must resolve to a valid type.",
            got.trim_start_matches('#')
        )))
    }
}
