//! The spec's known gaps, by name: the only deviations the suite lets through. Each is one row
//! of the table in `tests/contract/README.md` (a test keeps the two equal). `Wire` gaps are
//! allowed on recorded traffic when their matcher accepts an error; `Reader` gaps are
//! contradictions between schema and examples that d360's reader absorbs (the example decoding
//! test exercises them) and that never excuse a request or an answer.

use super::record::Exchange;

/// Where a gap applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Wire,
    Reader,
}

/// Every gap the suite knows.
pub(crate) const GAPS: &[(&str, Scope)] = &[
    ("connection-asset-fields", Scope::Wire),
    ("no-content-204", Scope::Wire),
    ("error-bodies-undescribed", Scope::Wire),
    ("data-stream-error-statuses", Scope::Wire),
    ("connector-description-fields", Scope::Wire),
    ("object-map-values", Scope::Wire),
    ("account-engagement-input", Scope::Wire),
    ("frequency-list-or-object", Scope::Wire),
    ("dlo-list-or-object", Scope::Wire),
    ("test-body-nested-example", Scope::Wire),
    ("mc-patch-profile-mappings-name", Scope::Wire),
    ("database-schemas-name", Scope::Reader),
    ("test-error-message-key", Scope::Reader),
    ("enum-casing-in-examples", Scope::Reader),
    ("example-extra-fields", Scope::Reader),
    ("mc-dataspace-keys", Scope::Reader),
    ("source-field-datatype-values", Scope::Reader),
    ("frequency-without-type", Scope::Reader),
    ("connection-fields-calculated-name", Scope::Reader),
    ("connector-attribute-secure", Scope::Reader),
];

const ASSET_FIELDS: [&str; 9] = [
    "createdBy",
    "createdDate",
    "id",
    "label",
    "lastModifiedBy",
    "lastModifiedDate",
    "name",
    "namespace",
    "url",
];

/// One validation error, reduced to what matchers look at.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) keyword: String,
    pub(crate) instance_path: String,
    /// For `additionalProperties`: the unexpected names.
    pub(crate) unexpected: Vec<String>,
    pub(crate) message: String,
}

fn is_index(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

/// `/connections/3` or `` (the object itself).
fn at_connection(path: &str) -> bool {
    path.is_empty() || path.strip_prefix("/connections/").is_some_and(is_index)
}

fn only(unexpected: &[String], allowed: &[&str]) -> bool {
    !unexpected.is_empty() && unexpected.iter().all(|u| allowed.contains(&u.as_str()))
}

/// The wire gap that allows `finding` in the request (`request`) or answer of `exchange`.
pub(crate) fn allowed(exchange: &Exchange, template: &str, request: bool, finding: &Finding) -> Option<&'static str> {
    let additional = finding.keyword == "additionalProperties";
    let path = finding.instance_path.as_str();
    if !request {
        if template.starts_with("/ssot/connections")
            && additional
            && at_connection(path)
            && only(&finding.unexpected, &ASSET_FIELDS)
        {
            return Some("connection-asset-fields");
        }
        if template == "/ssot/connectors"
            && additional
            && path.strip_prefix("/connectorInfoList/").is_some_and(is_index)
            && only(&finding.unexpected, &["description"])
        {
            return Some("connector-description-fields");
        }
        if template == "/ssot/connectors/{connectorType}"
            && additional
            && path.is_empty()
            && only(
                &finding.unexpected,
                &["ingressDescription", "releaseLevel", "customErrorLabels"],
            )
        {
            return Some("connector-description-fields");
        }
        return None;
    }
    // Request shapes the spec's own examples use: sent only by the suite's direct calls that
    // say so, so d360 can never lean on them.
    if !exchange.example_shaped {
        return None;
    }
    let type_error = finding.keyword == "type";
    if template.starts_with("/ssot/data-streams") && type_error && path == "/refreshConfig/frequency" {
        return Some("frequency-list-or-object");
    }
    if template.starts_with("/ssot/data-streams") && type_error && path == "/dataLakeObjectInfo" {
        return Some("dlo-list-or-object");
    }
    if template == "/ssot/connections/actions/test" && type_error && path == "/credentials" {
        return Some("test-body-nested-example");
    }
    if template == "/ssot/connections/{connectionId}"
        && additional
        && path.is_empty()
        && only(&finding.unexpected, &["createProfileBuMappings"])
    {
        return Some("mc-patch-profile-mappings-name");
    }
    None
}
