//! `/ssot/data-streams`: create, get by id or name, list limits and pages, `PATCH`, delete
//! with or without the data lake object, run, and their errors.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Org, V, assert_error, stream_body};

#[tokio::test]
async fn create_get_patch_run_delete() {
    let org = Org::start().await;
    let token = org.token().await;
    org.create_connection(&token, "Source").await;
    let (status, created) = org
        .call(
            Method::POST,
            &format!("{V}/data-streams"),
            &token,
            Some(stream_body("Patients", "Source")),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    // POST answers the short DataStreamRepresentation; GET the detailed form.
    assert_eq!(created["status"], "Active");
    assert_eq!(created["recordId"], created["id"]);
    assert!(created.get("connectorInfo").is_none(), "{created}");
    assert_eq!(created["dataLakeObjectInfo"]["name"], "Patients__dll");
    let by_name = org
        .call(Method::GET, &format!("{V}/data-streams/Patients"), &token, None)
        .await;
    assert_eq!(by_name.1["connectorInfo"]["connectorDetails"]["name"], "Source");
    assert_eq!(by_name.1["dataStreamType"], "ConnectorFramework");
    let by_id = org
        .call(Method::GET, &format!("{V}/data-streams/{id}"), &token, None)
        .await;
    assert_eq!(by_name.0, 200);
    assert_eq!(by_name, by_id);

    let path = format!("{V}/data-streams/Patients");
    let (status, patched) = org
        .call(Method::PATCH, &path, &token, Some(json!({"label": "Renamed"})))
        .await;
    assert_eq!((status, &patched["label"]), (200, &json!("Renamed")));
    // The DLO's name, category and primary key, and the connection, cannot change in place.
    let mut dlo = stream_body("Patients", "Source")["dataLakeObjectInfo"][0].clone();
    dlo["category"] = json!("Other");
    assert_error(
        &org.call(Method::PATCH, &path, &token, Some(json!({"dataLakeObjectInfo": dlo})))
            .await,
        400,
        "INVALID_INPUT",
    );
    let moved = json!({"connectorPatchInfo": {"connectorDetails": {"name": "Elsewhere"}}});
    assert_error(
        &org.call(Method::PATCH, &path, &token, Some(moved)).await,
        400,
        "INVALID_INPUT",
    );
    assert_error(
        &org.call(Method::PATCH, &path, &token, Some(json!({"bogus": 1}))).await,
        400,
        "JSON_PARSER_ERROR",
    );

    let (status, _) = org
        .call(Method::POST, &format!("{path}/actions/run"), &token, None)
        .await;
    assert_eq!(status, 200);
    let (_, after) = org.call(Method::GET, &path, &token, None).await;
    assert!(after["lastRefreshDate"].is_string());

    assert_error(
        &org.call(
            Method::DELETE,
            &format!("{path}?shouldDeleteDataLakeObject=maybe"),
            &token,
            None,
        )
        .await,
        400,
        "ILLEGAL_QUERY_PARAMETER_VALUE",
    );
    assert_eq!(
        org.call(
            Method::DELETE,
            &format!("{path}?shouldDeleteDataLakeObject=true"),
            &token,
            None
        )
        .await
        .0,
        204
    );
    assert_error(&org.call(Method::GET, &path, &token, None).await, 404, "NOT_FOUND");
    assert_error(
        &org.call(Method::POST, &format!("{path}/actions/run"), &token, None)
            .await,
        404,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn stream_errors() {
    let org = Org::start().await;
    let token = org.token().await;
    org.create_connection(&token, "Source").await;
    let create = |body| org.call(Method::POST, &format!("{V}/data-streams"), &token, Some(body));
    let missing = create(stream_body("Orphan", "No_Such_Connection")).await;
    assert_error(&missing, 400, "INVALID_INPUT");
    assert!(missing.1[0]["message"].as_str().unwrap().contains("No_Such_Connection"));
    let mut engagement = stream_body("Events", "Source");
    engagement["dataLakeObjectInfo"][0]["category"] = json!("Engagement");
    assert_error(&create(engagement).await, 400, "INVALID_INPUT");
    let mut no_suffix = stream_body("Plain", "Source");
    no_suffix["dataLakeObjectInfo"][0]["name"] = json!("Plain");
    assert_error(&create(no_suffix).await, 400, "INVALID_INPUT");
    let mut bad_type = stream_body("Typed", "Source");
    bad_type["dataLakeObjectInfo"][0]["dataLakeFieldInputRepresentations"][0]["dataType"] = json!("Blob");
    assert_error(&create(bad_type).await, 400, "INVALID_INPUT");
    let mut no_space = stream_body("Spaced", "Source");
    no_space["dataLakeObjectInfo"][0]["dataspaceInfo"] = json!([{"name": "elsewhere"}]);
    assert_error(&create(no_space).await, 400, "INVALID_INPUT");
    let mut no_name = stream_body("Nameless", "Source");
    no_name.as_object_mut().unwrap().remove("name");
    assert_error(&create(no_name).await, 400, "INVALID_INPUT");
    assert_error(&create(stream_body("Bad__Name", "Source")).await, 400, "INVALID_INPUT");
    assert_eq!(create(stream_body("Once", "Source")).await.0, 200);
    assert_error(&create(stream_body("Once", "Source")).await, 400, "DUPLICATES_DETECTED");
    assert_error(
        &org.call(Method::GET, &format!("{V}/data-streams/1dsNOPE"), &token, None)
            .await,
        404,
        "NOT_FOUND",
    );
    assert_error(
        &org.call(Method::GET, &format!("{V}/data-streams/%E2%9C%93%00"), &token, None)
            .await,
        404,
        "NOT_FOUND",
    );
}

#[tokio::test]
async fn listing_limits_and_pages() {
    let org = Org::start().await;
    let token = org.token().await;
    org.create_connection(&token, "Source").await;
    for index in 0..3 {
        let (status, _) = org
            .call(
                Method::POST,
                &format!("{V}/data-streams"),
                &token,
                Some(stream_body(&format!("S{index}"), "Source")),
            )
            .await;
        assert_eq!(status, 200);
    }
    let list = |query: String| org.call(Method::GET, &format!("{V}/data-streams{query}"), &token, None);
    for bad in ["0", "201", "1e3", "18446744073709551616"] {
        assert_error(
            &list(format!("?limit={bad}")).await,
            400,
            "ILLEGAL_QUERY_PARAMETER_VALUE",
        );
    }
    let (status, all) = list(String::new()).await;
    assert_eq!((status, all["totalSize"].as_u64()), (200, Some(3)));
    assert!(all.get("nextPageUrl").is_none());
    let (_, first) = list("?limit=2".to_owned()).await;
    assert_eq!(first["dataStreams"].as_array().unwrap().len(), 2);
    let next = first["nextPageUrl"].as_str().unwrap().to_owned();
    let (_, second) = org.call(Method::GET, &next, &token, None).await;
    assert_eq!(second["dataStreams"].as_array().unwrap().len(), 1);
    let (_, by_connection) = list("?connectionName=Nobody".to_owned()).await;
    assert_eq!(by_connection["totalSize"], 0);
    let (_, max) = list("?limit=200".to_owned()).await;
    assert_eq!(max["totalSize"], 3);
}

/// The names of a data stream listing page, in order.
fn stream_names(page: &Value) -> Vec<String> {
    page["dataStreams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn listing_orders_by_the_spec_fields_and_pages_keep_the_order() {
    let org = Org::start().await;
    let token = org.token().await;
    org.create_connection(&token, "Source").await;
    // Created in an order that differs from the names' order.
    for name in ["S_b", "S_c", "S_a"] {
        let (status, _) = org
            .call(
                Method::POST,
                &format!("{V}/data-streams"),
                &token,
                Some(stream_body(name, "Source")),
            )
            .await;
        assert_eq!(status, 200);
    }
    let list = |query: &str| org.call(Method::GET, &format!("{V}/data-streams{query}"), &token, None);
    assert_eq!(
        stream_names(&list("").await.1),
        ["S_a", "S_b", "S_c"],
        "DeveloperName by default"
    );
    assert_eq!(
        stream_names(&list("?orderBy=Id").await.1),
        ["S_b", "S_c", "S_a"],
        "creation order"
    );
    assert_eq!(stream_names(&list("?orderBy=Id%20DESC").await.1), ["S_a", "S_c", "S_b"]);
    assert_eq!(
        stream_names(&list("?orderBy=DeveloperName").await.1),
        ["S_a", "S_b", "S_c"]
    );
    assert_error(&list("?orderBy=Label").await, 400, "ILLEGAL_QUERY_PARAMETER_VALUE");
    let (_, first) = list("?orderBy=Id&limit=2").await;
    assert_eq!(stream_names(&first), ["S_b", "S_c"]);
    let next = first["nextPageUrl"].as_str().unwrap().to_owned();
    assert!(next.contains("orderBy=Id"), "{next}");
    let (_, second) = org.call(Method::GET, &next, &token, None).await;
    assert_eq!(stream_names(&second), ["S_a"]);
    let (_, by_offset) = list("?orderBy=Id&limit=2&offset=2").await;
    assert_eq!(stream_names(&by_offset), ["S_a"]);
    assert_eq!(by_offset["totalSize"], 3);
}

#[tokio::test]
async fn an_org_that_ignores_offset_still_pages_through_its_own_next_page_url() {
    let org = Org::start_with(|options| options.ignore_offset = true).await;
    let token = org.token().await;
    org.create_connection(&token, "Source").await;
    for name in ["S_a", "S_b", "S_c"] {
        let (status, _) = org
            .call(
                Method::POST,
                &format!("{V}/data-streams"),
                &token,
                Some(stream_body(name, "Source")),
            )
            .await;
        assert_eq!(status, 200);
    }
    let list = |query: &str| org.call(Method::GET, &format!("{V}/data-streams{query}"), &token, None);
    let (_, skipped) = list("?limit=2&offset=2").await;
    assert_eq!(stream_names(&skipped), ["S_a", "S_b"], "offset is ignored");
    let next = skipped["nextPageUrl"].as_str().unwrap().to_owned();
    assert!(next.contains("pageToken=") && !next.contains("offset="), "{next}");
    let (_, second) = org.call(Method::GET, &next, &token, None).await;
    assert_eq!(stream_names(&second), ["S_c"]);
    assert!(second.get("nextPageUrl").is_none());
}
