//! Graph's refusals as a value ([`GraphError`], classified by its code,
//! never its message), and how a caller tells them apart: the object is
//! replicating, the answer was lost ([`is_ambiguous`]), it exists already.

use std::fmt;

use reqwest::{Method, StatusCode};

use crate::http::{Reply, is_lost};

use super::types::ErrorBody;

/// An error answer from Graph, classified by its `code` (never its message).
#[derive(Debug)]
pub(crate) struct GraphError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub detail_codes: Vec<String>,
    pub request_id: Option<String>,
    /// What was being done, in the user's words.
    pub action: String,
    /// The request's method: a 409 is replication only on a PATCH.
    pub method: Method,
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Microsoft Graph refused to {}: {} {}",
            self.action,
            self.status.as_u16(),
            self.code
        )?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request-id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphError {}

impl GraphError {
    pub(super) fn from_reply(action: &str, method: &Method, reply: &Reply) -> GraphError {
        let body: ErrorBody = serde_json::from_str(&reply.body).unwrap_or_default();
        let code = if body.error.code.is_empty() {
            reply
                .status
                .canonical_reason()
                .unwrap_or("error")
                .to_owned()
        } else {
            body.error.code
        };
        GraphError {
            status: reply.status,
            code,
            message: body.error.message,
            detail_codes: body.error.details.into_iter().map(|d| d.code).collect(),
            request_id: reply.request_id().map(str::to_owned),
            action: action.to_owned(),
            method: method.clone(),
        }
    }

    pub(crate) fn has_code(&self, code: &str) -> bool {
        self.code.eq_ignore_ascii_case(code)
            || self
                .detail_codes
                .iter()
                .any(|c| c.eq_ignore_ascii_case(code))
    }

    pub(crate) fn is_not_found(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
    }

    /// 409 on a create: the object exists already.
    pub fn is_conflict(&self) -> bool {
        self.status == StatusCode::CONFLICT
    }

    /// 403 Authorization_RequestDenied: the token or the user lacks a right.
    pub(crate) fn is_denied(&self) -> bool {
        self.status == StatusCode::FORBIDDEN
    }

    /// The signatures Entra gives while a just-created object replicates
    /// (docs/graph.md §5): 404 Request_ResourceNotFound, 400
    /// NoBackingApplicationObject / "does not reference a valid application
    /// object" / "reference-property objects are not present", the 403 "must
    /// in the local tenant" on service-principal create, and 409 on PATCH
    /// only (on a create, 409 means the object exists: look it up).
    pub(crate) fn is_replication(&self) -> bool {
        match self.status.as_u16() {
            404 => true,
            400 => {
                self.has_code("NoBackingApplicationObject")
                    || self
                        .message
                        .contains("does not reference a valid application object")
                    || self
                        .message
                        .contains("queried reference-property objects are not present")
            }
            403 => self.message.contains("must in the local tenant"),
            409 => self.method == Method::PATCH,
            _ => false,
        }
    }
}

/// A lost answer to a create: dropped, garbled or a 5xx. The object may or
/// may not exist; look before trying again (see [`crate::http`]'s table).
pub fn is_ambiguous(err: &anyhow::Error) -> bool {
    graph_error(err).is_some_and(|g| g.status.is_server_error()) || is_lost(err)
}

/// Finds the [`GraphError`] in an error chain, if the failure was Graph's answer.
pub(crate) fn graph_error(err: &anyhow::Error) -> Option<&GraphError> {
    err.downcast_ref::<GraphError>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, code: &str, message: &str, details: &[&str]) -> GraphError {
        GraphError {
            status: StatusCode::from_u16(status).unwrap(),
            code: code.into(),
            message: message.into(),
            detail_codes: details.iter().map(|s| s.to_string()).collect(),
            request_id: None,
            action: "test".into(),
            method: if status == 409 {
                Method::PATCH
            } else {
                Method::POST
            },
        }
    }

    #[test]
    fn replication_signatures_are_recognised_by_code_and_known_text() {
        assert!(err(404, "Request_ResourceNotFound", "", &[]).is_replication());
        assert!(
            err(
                400,
                "Request_BadRequest",
                "x",
                &["NoBackingApplicationObject"]
            )
            .is_replication()
        );
        assert!(
            err(403, "Authorization_RequestDenied", "the backing application of the service principal being created must in the local tenant", &[])
                .is_replication()
        );
        assert!(
            !err(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
                &[]
            )
            .is_replication()
        );
        assert!(!err(400, "Request_BadRequest", "Invalid property", &[]).is_replication());
    }
}
