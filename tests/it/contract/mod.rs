//! The contract suite: Salesforce's published spec (`tests/contract/spec.json`, extracted from
//! the OpenAPI excerpt v67.0) judges both sides. The real `d360` binary and the suite's own
//! calls reach a `d360 emulator` process through a recording proxy on 127.0.0.1; every request
//! and answer is then validated (`check`) with only the named gaps of
//! `tests/contract/README.md` allowed (`gaps`). The suite also decodes every example answer of
//! the spec with d360's reader (`examples`).

mod check;
mod example_org;
mod examples;
mod gaps;
mod record;
mod spec;

use std::process::Command;

use serde_json::{Value, json};

use crate::support::{EMULATOR_BASE_YAML, EmulatorProcess, Work, bin};
use record::{EXAMPLE_HEADER, Recorder};

const V: &str = "/services/data/v66.0/ssot";

/// The catalog hosts for tests and browsing, appended to the emulator's base configuration.
const CATALOG_HOSTS: &str = "    - host: clinic-db.example.internal
      credentials: { user: clinic, password: s3cret }
      databases:
        - name: clinic
          schemas:
            - name: public
              objects:
                - name: patients
                  primaryKeys: [patient_id]
                  fields:
                    - { name: patient_id, type: Text, originalType: VARCHAR }
                    - { name: full_name, type: Text }
                    - { name: email, type: Email }
                    - { name: updated_at, type: DateTime, format: 'yyyy-MM-dd HH:mm:ss' }
                  records:
                    - { patient_id: p1, full_name: Ada, email: ada@example.com, updated_at: '2024-05-01 10:00:00' }
                    - { patient_id: p2, full_name: Grace, email: grace@example.com, updated_at: '2024-05-02 11:00:00' }
                - name: visits
                  type: VIEW
                  fields:
                    - { name: visit_id, type: Number }
        - name: archive
          schemas:
            - { name: old }
    - { host: down.example.internal, reachable: false }
";

const CONNECTION: &str = "\
apiVersion: d360/v1
kind: Connection
metadata: { name: Contract_Clinic }
spec:
  connectorType: AwsRdsMySql
  label: LABEL
  method: Ingress
  parameters:
    jdbc_connection_url: jdbc:mysql://clinic-db.example.internal:3306
    DATABASE: clinic
  credentials:
    user: { fromEnv: CLINIC_USER }
    password: { fromEnv: CLINIC_PASSWORD }
";

const STREAM: &str = "\
apiVersion: d360/v1
kind: DataStream
metadata: { name: Contract_Patients }
spec:
  label: Contract patients
  connection: Contract_Clinic
  source: { database: clinic, object: patients }
  dataLakeObject:
    label: Contract Patients
    category: Profile
    primaryKey: patient_id
    recordModifiedField: updated_at
    dataspace: default
  fields:
    - { name: patient_id, type: Text }
    - { name: full_name, type: Text }
    - { name: email, type: Email }
    - { name: updated_at, type: DateTime }
  refresh: { mode: UPSERT, frequency: Daily, hours: [HOURS] }
";

/// `d360` against the proxy as `--org env` with the client credentials flow (no JWT: its
/// audience would name the proxy).
fn d360(work: &Work, recorder: &Recorder) -> Command {
    let mut command = bin();
    command
        .current_dir(work.path())
        .env("D360_ORG", "env")
        .env("D360_INSTANCE_URL", &recorder.url)
        .env("D360_CLIENT_ID", "d360-local")
        .env("D360_CLIENT_SECRET", "d360-local-secret")
        .env("CLINIC_USER", "clinic")
        .env("CLINIC_PASSWORD", "s3cret")
        .env_remove("D360_PRIVATE_KEY_FILE")
        .env_remove("D360_PRIVATE_KEY")
        .env_remove("D360_USERNAME")
        .env_remove("D360_PASSWORD")
        .env_remove("D360_STATE_URL");
    command
}

fn run(command: &mut Command, codes: &[i32], what: &str) -> String {
    let output = command.output().expect("run d360");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.code().is_some_and(|code| codes.contains(&code)),
        "{what}: exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status.code()
    );
    format!("{stdout}{stderr}")
}

/// The suite's own calls, through the proxy.
struct Direct {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Direct {
    async fn login(base: &str) -> Self {
        let http = reqwest::Client::new();
        let token = crate::org_snapshot::login(&http, base).await;
        Self {
            http,
            base: base.to_owned(),
            token,
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>, example: bool) -> (u16, Value) {
        let url = if path.starts_with("/services/") {
            format!("{}{path}", self.base)
        } else {
            format!("{}{V}{path}", self.base)
        };
        let mut request = self.http.request(method, url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        if example {
            request = request.header(EXAMPLE_HEADER, "1");
        }
        let answer = request.send().await.expect("a request");
        let status = answer.status().as_u16();
        let bytes = answer.bytes().await.expect("a body");
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("a JSON answer")
        };
        (status, value)
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None, false).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body), false).await
    }

    /// Every item of a paged listing, following `nextPageUrl`.
    async fn all_pages(&self, first: &str, key: &str) -> (Vec<Value>, usize) {
        let mut items = Vec::new();
        let mut pages = 0;
        let mut next = Some(first.to_owned());
        while let Some(path) = next.take() {
            let (status, page) = self.get(&path).await;
            assert_eq!(status, 200, "{path}: {page}");
            pages += 1;
            items.extend(page[key].as_array().cloned().unwrap_or_default());
            next = page["nextPageUrl"].as_str().map(str::to_owned);
            assert!(pages < 50, "paging does not end");
        }
        (items, pages)
    }
}

fn create_body(connector_type: &str, name: &str) -> Value {
    let mut body = json!({"connectorType": connector_type, "label": format!("Contract {name}"), "name": name});
    match connector_type {
        "SalesforceDotCom" => body["organizationId"] = json!("00DX40000019beX"),
        "StreamingApp" => {
            body["streamingAppType"] = json!("WebApp");
            body["streamingAppSubType"] = json!("WebApp_GA4");
        }
        _ => {}
    }
    body
}

/// The families other than data connectors: create (two of each, for paging), list page by
/// page, get, PATCH where the spec documents it, PUT, refused PATCH elsewhere.
async fn families(direct: &Direct) -> Vec<String> {
    let mut ids = Vec::new();
    for connector_type in [
        "IngestApi",
        "SalesforceDotCom",
        "SalesforceMarketingCloud",
        "StreamingApp",
        "AccountEngagement",
    ] {
        for n in 1..=2 {
            let name = format!("Contract_{connector_type}_{n}");
            let (status, created) = direct.post("/connections", create_body(connector_type, &name)).await;
            assert_eq!(status, 201, "{connector_type}: {created}");
            assert_eq!(created["connectorType"], connector_type);
            assert!(created.get("params").is_none(), "{created}");
            ids.push(created["id"].as_str().expect("an id").to_owned());
        }
        let (listed, pages) = direct
            .all_pages(
                &format!("{V}/connections?connectorType={connector_type}&limit=1&offset=0"),
                "connections",
            )
            .await;
        assert_eq!((listed.len(), pages), (2, 2), "{connector_type}");
    }
    let ingest = direct.get(&format!("/connections/{}", ids[0])).await;
    assert!(
        ingest.1["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("Contract_Contract_IngestApi_1_")),
        "{}",
        ingest.1
    );
    let (status, refused) = direct
        .send(
            reqwest::Method::PATCH,
            &format!("/connections/{}", ids[0]),
            Some(json!({"connectorType": "IngestApi", "label": "x"})),
            false,
        )
        .await;
    assert_eq!((status, &refused[0]["errorCode"]), (400, &json!("INVALID_INPUT")));
    let mut crm = create_body("SalesforceDotCom", "Contract_SalesforceDotCom_1");
    crm["label"] = json!("Renamed CRM");
    let (status, _) = direct
        .send(
            reqwest::Method::PUT,
            &format!("/connections/{}", ids[2]),
            Some(crm),
            false,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        direct.get(&format!("/connections/{}", ids[2])).await.1["label"],
        "Renamed CRM"
    );

    let marketing = &ids[4];
    let patch = json!({
        "connectorType": "SalesforceMarketingCloud",
        "addIngestionBusinessUnits": ["524002279"],
        "addActivationBusinessUnits": ["524002279"],
        "addBusinessUnitsToDataSpaces": [{"dataspaceName": "default", "mid": "524002279"}],
        "createProfileMappings": true
    });
    let (status, body) = direct
        .send(
            reqwest::Method::PATCH,
            &format!("/connections/{marketing}"),
            Some(patch),
            false,
        )
        .await;
    assert_eq!((status, body), (204, Value::Null));
    let (_, got) = direct.get(&format!("/connections/{marketing}")).await;
    assert_eq!(got["ingestionBusinessUnits"][0]["mid"], "524002279");
    assert_eq!(got["businessUnitsToDataSpaces"][0]["dataSpaceName"], "default");
    assert_eq!(got["createProfileBuMappings"], true);
    // The spec's own request example (with its `createProfileBuMappings: "true"`).
    let example = spec::Spec::load().doc["examples"]["update-mc-connection-request"].clone();
    let (status, body) = direct
        .send(
            reqwest::Method::PATCH,
            &format!("/connections/{marketing}"),
            Some(example),
            true,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (_, got) = direct.get(&format!("/connections/{marketing}")).await;
    let ingestion: Vec<&Value> = got["ingestionBusinessUnits"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|u| &u["mid"])
        .collect();
    assert_eq!(ingestion, [&json!("524002279")], "{got}");

    let streaming = &ids[6];
    let modules = json!({"connectorType": "StreamingApp", "modules": [{"name": "WebSdk", "isEnabled": true, "configuration": "{}"}]});
    let (status, _) = direct
        .send(
            reqwest::Method::PATCH,
            &format!("/connections/{streaming}"),
            Some(modules),
            false,
        )
        .await;
    assert_eq!(status, 204);
    let (_, got) = direct.get(&format!("/connections/{streaming}")).await;
    assert_eq!(got["modules"][0]["name"], "WebSdk");
    assert_eq!(got["streamingAppType"], "WebApp");
    ids
}

/// Connection tests with and without an id, metadata browsing, over the catalog.
async fn tests_and_browsing(direct: &Direct, clinic: &str) {
    let test = |user: &str, host: &str| {
        json!({
            "connectorType": "AwsRdsMySql",
            "method": "Ingress",
            "parameters": [
                {"paramName": "jdbc_connection_url", "value": format!("jdbc:mysql://{host}:3306")},
                {"paramName": "DATABASE", "value": "clinic"}
            ],
            "credentials": [{"paramName": "user", "value": user}, {"paramName": "password", "value": "s3cret"}]
        })
    };
    let path = "/connections/actions/test";
    let (status, ok) = direct.post(path, test("clinic", "clinic-db.example.internal")).await;
    assert_eq!((status, ok), (200, json!({"success": true, "errors": []})));
    let (_, wrong) = direct.post(path, test("intruder", "clinic-db.example.internal")).await;
    assert_eq!(
        (&wrong["success"], &wrong["errors"][0]["errorCode"]),
        (&json!(false), &json!("INVALID_CREDENTIALS"))
    );
    let (_, down) = direct.post(path, test("clinic", "down.example.internal")).await;
    assert_eq!(down["errors"][0]["errorCode"], "INVALID_CONNECTION");
    let example = spec::Spec::load().doc["examples"]["test-connection-request"].clone();
    let (status, answer) = direct.send(reqwest::Method::POST, path, Some(example), true).await;
    assert_eq!((status, &answer["success"]), (200, &json!(false)), "{answer}");
    let (status, saved) = direct
        .send(
            reqwest::Method::POST,
            &format!("/connections/{clinic}/actions/test"),
            None,
            false,
        )
        .await;
    assert_eq!((status, saved), (200, json!({"success": true, "errors": []})));

    let browse = |tail: &str| format!("/connections/{clinic}/{tail}");
    let (status, databases) = direct
        .send(reqwest::Method::POST, &browse("databases"), None, false)
        .await;
    assert_eq!((status, databases), (200, json!({"databases": ["clinic", "archive"]})));
    let (_, schemas) = direct
        .post(
            &browse("database-schemas"),
            json!({"advancedAttributes": {"databaseName": "clinic"}}),
        )
        .await;
    assert_eq!(schemas, json!({"databaseSchemas": ["public"]}));
    let scope = json!({"databaseName": "clinic", "schemaName": "public"});
    let (_, objects) = direct
        .post(&browse("objects"), json!({"advancedAttributes": scope}))
        .await;
    let names: Vec<&Value> = objects["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| &o["name"])
        .collect();
    assert_eq!(names, [&json!("patients"), &json!("visits")]);
    assert_eq!(objects["objects"][1]["attributes"]["type"], "VIEW");
    let filters = json!({"filtersByProperty": [{"name": "name", "filterOperator": "LikeOp", "values": ["pat"]}]});
    let (_, filtered) = direct
        .post(
            &browse("objects"),
            json!({"advancedAttributes": scope, "filters": filters}),
        )
        .await;
    assert_eq!(filtered["objects"].as_array().map(Vec::len), Some(1));
    let (_, fields) = direct
        .post(&browse("objects/patients/fields"), json!({"advancedAttributes": scope}))
        .await;
    assert_eq!(fields["primaryKeys"], json!(["patient_id"]));
    assert_eq!(fields["fields"][2]["type"], "Email");
    let (_, preview) = direct
        .post(
            &browse("objects/patients/preview"),
            json!({"advancedAttributes": scope, "fields": ["patient_id", "email"], "limit": 1}),
        )
        .await;
    assert_eq!(
        preview["records"],
        json!([{"record": {"patient_id": "p1", "email": "ada@example.com"}}])
    );
    let (status, missing) = direct
        .post(&browse("objects/nope/fields"), json!({"advancedAttributes": scope}))
        .await;
    assert_eq!((status, &missing[0]["errorCode"]), (400, &json!("INVALID_INPUT")));

    let mut unreachable = create_body("AwsRdsMySql", "Contract_Down");
    unreachable["method"] = json!("Ingress");
    unreachable["parameters"] = json!([
        {"paramName": "jdbc_connection_url", "value": "jdbc:mysql://down.example.internal:3306"},
        {"paramName": "DATABASE", "value": "clinic"}
    ]);
    unreachable["credentials"] = json!([{"paramName": "user", "value": "u"}, {"paramName": "password", "value": "p"}]);
    let (status, created) = direct.post("/connections", unreachable).await;
    assert_eq!(status, 201, "{created}");
    let down_id = created["id"].as_str().expect("an id");
    let (status, refused) = direct
        .send(
            reqwest::Method::POST,
            &format!("/connections/{down_id}/databases"),
            None,
            false,
        )
        .await;
    assert_eq!((status, &refused[0]["errorCode"]), (400, &json!("INVALID_CONNECTION")));
    let (status, _) = direct
        .send(reqwest::Method::DELETE, &format!("/connections/{down_id}"), None, false)
        .await;
    assert_eq!(status, 204);
}

/// Data stream calls d360 does not make yet, with the examples' object shapes.
async fn streams(direct: &Direct) {
    let body = json!({
        "name": "Contract_Visits",
        "label": "Contract visits",
        "datastreamType": "CONNECTORSFRAMEWORK",
        "connectorInfo": {"connectorType": "DataConnector", "connectorDetails": {"name": "Contract_Clinic"}},
        "dataLakeObjectInfo": {
            "name": "Contract_Visits__dll", "label": "Contract Visits", "category": "Other",
            "dataspaceInfo": [{"name": "default"}],
            "dataLakeFieldInputRepresentations": [{"name": "visit_id", "label": "visit_id", "dataType": "Number", "isPrimaryKey": true}]
        },
        "sourceFields": [{"name": "visit_id", "dataType": "Number"}],
        "mappings": [{"sourceFieldLabel": "visit_id", "targetFieldName": "visit_id"}],
        "refreshConfig": {"refreshMode": "UPSERT", "frequency": {"frequencyType": "WEEKLY", "refreshDayOfWeek": "Sunday", "hours": [7]}},
        "advancedAttributes": {"database": "clinic", "schema": "public", "object": "visits"}
    });
    let (status, created) = direct
        .send(reqwest::Method::POST, "/data-streams", Some(body), true)
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["recordId"], created["id"]);
    let (status, got) = direct.get("/data-streams/Contract_Visits?includeMappings=true").await;
    assert_eq!(status, 200);
    assert_eq!(got["refreshConfig"]["frequency"]["frequencyType"], "Weekly");
    assert_eq!(got["mappings"][0]["sourceFieldName"], "visit_id");
    assert_eq!(got["sourceFields"][0]["datatype"], "Number");
    let patch = json!({"label": "Visits", "refreshConfig": {"refreshMode": "TOTAL_REPLACE", "frequency": {"frequencyType": "Hourly"}}});
    let (status, patched) = direct
        .send(
            reqwest::Method::PATCH,
            "/data-streams/Contract_Visits",
            Some(patch),
            true,
        )
        .await;
    assert_eq!((status, &patched["label"]), (200, &json!("Visits")));
    let (status, run) = direct
        .send(
            reqwest::Method::POST,
            "/data-streams/Contract_Visits/actions/run",
            None,
            false,
        )
        .await;
    assert_eq!((status, &run["success"]), (200, &json!(true)));
    let (listed, pages) = direct
        .all_pages(
            &format!("{V}/data-streams?limit=1&offset=0&connectionName=Contract_Clinic"),
            "dataStreams",
        )
        .await;
    assert_eq!((listed.len(), pages), (2, 2));
    let (status, _) = direct
        .send(
            reqwest::Method::DELETE,
            "/data-streams/Contract_Visits?shouldDeleteDataLakeObject=true",
            None,
            false,
        )
        .await;
    assert_eq!(status, 204);
    let (status, gone) = direct.get("/data-streams/Contract_Visits").await;
    assert_eq!((status, &gone[0]["errorCode"]), (404, &json!("NOT_FOUND")));
    // The schema's own shapes (lists), and a delete that keeps the data lake object.
    let kept = json!({
        "name": "Contract_Kept",
        "label": "Contract kept",
        "datastreamType": "CONNECTORSFRAMEWORK",
        "connectorInfo": {"connectorType": "DataConnector", "connectorDetails": {"name": "Contract_Clinic"}},
        "dataLakeObjectInfo": [{
            "name": "Contract_Kept__dll", "label": "Contract Kept", "category": "Other",
            "dataspaceInfo": [{"name": "default"}],
            "dataLakeFieldInputRepresentations": [{"name": "visit_id", "label": "visit_id", "dataType": "Number", "isPrimaryKey": true}]
        }],
        "sourceFields": [{"name": "visit_id", "dataType": "Number"}],
        "mappings": [{"sourceFieldLabel": "visit_id", "targetFieldName": "visit_id"}],
        "refreshConfig": {"refreshMode": "UPSERT", "frequency": [{"frequencyType": "Monthly", "refreshDayOfMonth": [1, 15]}]}
    });
    let (status, created) = direct.post("/data-streams", kept).await;
    assert_eq!(status, 200, "{created}");
    let (_, got) = direct.get("/data-streams/Contract_Kept").await;
    assert_eq!(got["refreshConfig"]["frequency"]["refreshDayOfMonth"], json!([1, 15]));
    let (status, _) = direct
        .send(reqwest::Method::DELETE, "/data-streams/Contract_Kept", None, false)
        .await;
    assert_eq!(status, 204);
}

async fn connectors_and_errors(direct: &Direct) {
    let (status, list) = direct.get("/connectors?orderBy=label&fieldGroup=SMALL").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["connectorInfoList"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    for family in check::family_types() {
        assert!(names.contains(&family), "{family} missing from {names:?}");
    }
    let (_, one) = direct.get("/connectors?filters=name=AwsRdsMySql").await;
    assert_eq!(one["totalSize"], 1);
    for connector_type in ["AwsRdsMySql", "StreamingApp"] {
        assert_eq!(direct.get(&format!("/connectors/{connector_type}")).await.0, 200);
    }
    let (status, _) = direct.get("/connections/0cXnope").await;
    assert_eq!(status, 404);
    let (status, duplicate) = direct
        .post(
            "/connections",
            create_body("AccountEngagement", "Contract_AccountEngagement_1"),
        )
        .await;
    assert_eq!(
        (status, &duplicate[0]["errorCode"]),
        (400, &json!("DUPLICATES_DETECTED"))
    );
}

fn write_manifests(work: &Work, label: &str, hours: u32, stream: bool) {
    work.write("manifests/connection.yaml", &CONNECTION.replace("LABEL", label));
    if stream {
        work.write("manifests/stream.yaml", &STREAM.replace("HOURS", &hours.to_string()));
    } else {
        let _ = std::fs::remove_file(work.path().join("manifests/stream.yaml"));
    }
}

#[test]
fn d360_and_the_emulator_pass_the_published_spec() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("emulator.yaml"),
        format!("{EMULATOR_BASE_YAML}{CATALOG_HOSTS}"),
    )
    .expect("write emulator.yaml");
    let emulator = EmulatorProcess::start_in(dir, &[]);
    let recorder = Recorder::start(&emulator.url);
    let work = Work::new();

    // d360 itself: plan, apply (creates, with the connection test before, the stream's source
    // browsed before its create and the connection tested after), apply (PUT and PATCH), drift,
    // import, prune, org check.
    write_manifests(&work, "Contract clinic", 2, true);
    run(d360(&work, &recorder).args(["plan", "manifests"]), &[0], "first plan");
    run(
        d360(&work, &recorder).args(["plan", "manifests", "--check"]),
        &[0],
        "first plan, checked",
    );
    let created = run(
        d360(&work, &recorder).args(["apply", "manifests", "--auto-approve", "--check", "--verify"]),
        &[0],
        "create",
    );
    assert!(created.contains("Verify: 1 passed, 0 failed."), "{created}");
    write_manifests(&work, "Contract clinic, renamed", 5, true);
    run(
        d360(&work, &recorder).args(["apply", "manifests", "--auto-approve"]),
        &[0],
        "update",
    );
    run(
        d360(&work, &recorder).args(["drift", "manifests"]),
        &[0],
        "drift after apply",
    );

    let direct = recorder.block_on(Direct::login(&recorder.url));
    let clinic = recorder.block_on(direct.get(&format!(
        "{V}/connections?connectorType=AwsRdsMySql&devName=Contract_Clinic"
    )));
    let clinic_id = clinic.1["connections"][0]["id"]
        .as_str()
        .expect("d360's connection")
        .to_owned();
    let family_ids = recorder.block_on(families(&direct));
    recorder.block_on(tests_and_browsing(&direct, &clinic_id));
    recorder.block_on(streams(&direct));
    recorder.block_on(connectors_and_errors(&direct));

    // An org holding every family plans and drifts cleanly; import skips what it can't manage.
    run(
        d360(&work, &recorder).args(["plan", "manifests", "--detailed-exitcode"]),
        &[0],
        "plan with every family",
    );
    let imported = run(
        d360(&work, &recorder).args(["import", "--out", "imported", "--force", "--include-managed"]),
        &[0],
        "import",
    );
    assert!(imported.contains("Skipped 10 objects d360 cannot manage"), "{imported}");
    assert!(imported.contains("Connection/Contract_StreamingApp_1"), "{imported}");
    assert!(work.path().join("imported/connection-Contract_Clinic.yaml").exists());
    assert!(
        !work
            .path()
            .join("imported/connection-Contract_StreamingApp_1.yaml")
            .exists()
    );

    write_manifests(&work, "Contract clinic, renamed", 5, false);
    run(
        d360(&work, &recorder).args(["apply", "manifests", "--auto-approve", "--prune"]),
        &[0],
        "prune the stream",
    );
    run(d360(&work, &recorder).args(["org", "check"]), &[0], "org check");
    for id in family_ids {
        let (status, _) =
            recorder.block_on(direct.send(reqwest::Method::DELETE, &format!("/connections/{id}"), None, false));
        assert_eq!(status, 204);
    }

    let spec = spec::Spec::load();
    let report = check::check(&spec, &recorder.exchanges());
    println!("contract: requests validated per operation");
    for (operation, count) in &report.operations {
        println!("  {count:>4}  {operation}");
    }
    println!(
        "contract: gap uses {:?}; {} calls outside the excerpt (login, identity, tenant)",
        report.gaps, report.outside
    );
    assert!(
        report.failures.is_empty(),
        "contract violations:\n{}",
        report.failures.join("\n")
    );
    for operation in [
        "GET /ssot/connections",
        "POST /ssot/connections",
        "GET /ssot/connections/{connectionId}",
        "PUT /ssot/connections/{connectionId}",
        "PATCH /ssot/connections/{connectionId}",
        "DELETE /ssot/connections/{connectionId}",
        "POST /ssot/connections/actions/test",
        "POST /ssot/connections/{connectionId}/actions/test",
        "POST /ssot/connections/{connectionId}/databases",
        "POST /ssot/connections/{connectionId}/database-schemas",
        "POST /ssot/connections/{connectionId}/objects",
        "POST /ssot/connections/{connectionId}/objects/{resourceName}/fields",
        "POST /ssot/connections/{connectionId}/objects/{resourceName}/preview",
        "GET /ssot/connectors",
        "GET /ssot/connectors/{connectorType}",
        "GET /ssot/data-streams",
        "POST /ssot/data-streams",
        "GET /ssot/data-streams/{recordIdOrDeveloperName}",
        "PATCH /ssot/data-streams/{recordIdOrDeveloperName}",
        "DELETE /ssot/data-streams/{recordIdOrDeveloperName}",
        "POST /ssot/data-streams/{recordIdOrDeveloperName}/actions/run",
    ] {
        assert!(
            report.operations.contains_key(operation),
            "no validated request for {operation}"
        );
    }
    for gap in report.gaps.keys() {
        assert!(gaps::GAPS.iter().any(|(name, _)| name == gap), "unlisted gap {gap}");
    }
    let deletes = recorder
        .exchanges()
        .iter()
        .filter(|e| e.method == "DELETE" && e.path.contains("/data-streams/"))
        .map(|e| {
            e.query
                .iter()
                .any(|(k, v)| k == "shouldDeleteDataLakeObject" && v == "true")
        })
        .collect::<std::collections::BTreeSet<_>>();
    assert_eq!(
        deletes.len(),
        2,
        "data stream deletes with and without shouldDeleteDataLakeObject"
    );
}

/// The README's gap table names exactly the gaps the suite knows.
#[test]
fn the_gap_table_matches_the_suite() {
    let readme = include_str!("../../contract/README.md");
    let in_table: std::collections::BTreeSet<&str> = readme
        .lines()
        .filter(|line| line.starts_with("| `"))
        .filter_map(|line| line.trim_start_matches("| `").split('`').next())
        .collect();
    let known: std::collections::BTreeSet<&str> = gaps::GAPS.iter().map(|(name, _)| *name).collect();
    assert_eq!(in_table, known);
    let scopes: Vec<_> = gaps::GAPS.iter().map(|(_, scope)| *scope).collect();
    assert!(scopes.contains(&gaps::Scope::Reader) && scopes.contains(&gaps::Scope::Wire));
}

/// The checks bite: undeclared fields, shapes the spec refuses, undeclared query parameters
/// and unknown operations fail; the named gaps pass only where their matchers say.
#[test]
fn the_checks_refuse_what_the_spec_does_not_declare() {
    use record::Exchange;
    let exchange = |method: &str,
                    path: &str,
                    query: &[(&str, &str)],
                    request: Option<Value>,
                    status: u16,
                    response: Option<Value>| Exchange {
        method: method.to_owned(),
        path: format!("/services/data/v66.0/ssot{path}"),
        query: query.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        request: request.map(Ok),
        status,
        response: response.map(Ok),
        example_shaped: false,
    };
    let spec = spec::Spec::load();
    let streaming =
        json!({"id": "0ln1", "name": "S", "label": "S", "connectorType": "StreamingApp", "streamingAppType": "WebApp"});
    let data = json!({"id": "0ln2", "name": "D", "label": "D", "connectorType": "AwsRdsMySql", "params": [], "credentials": []});
    let stream = json!({
        "name": "S", "label": "S", "datastreamType": "CONNECTORSFRAMEWORK",
        "connectorInfo": {"connectorType": "DataConnector", "connectorDetails": {"name": "C"}},
        "sourceFields": [], "mappings": [],
        "refreshConfig": {"refreshMode": "UPSERT", "frequency": {"frequencyType": "Daily"}}
    });
    let mut listed = stream.clone();
    listed["refreshConfig"]["frequency"] = json!([{"frequencyType": "Daily"}]);
    let summary = json!({
        "id": "1", "name": "S", "label": "S", "recordId": "1", "status": "Active",
        "dataLakeObjectInfo": {"name": "S__dll", "category": "Profile", "dataLakeFieldInfoRepresentation": [], "dataSpaceInfo": [], "status": "Active"}
    });
    let cases = [
        (
            exchange("GET", "/connections/0ln2", &[], None, 200, Some(data.clone())),
            true,
        ),
        (
            exchange("GET", "/connections/0ln1", &[], None, 200, Some(streaming.clone())),
            true,
        ),
        (
            exchange(
                "GET",
                "/connections/0ln1",
                &[],
                None,
                200,
                Some({
                    let mut s = streaming.clone();
                    s["params"] = json!([]);
                    s
                }),
            ),
            false,
        ),
        (
            exchange(
                "GET",
                "/connections",
                &[("connectorType", "X"), ("pageSize", "2")],
                None,
                200,
                Some(json!({"connections": []})),
            ),
            false,
        ),
        (
            exchange("GET", "/connections/0ln2/nothing", &[], None, 200, Some(json!({}))),
            false,
        ),
        (
            exchange(
                "POST",
                "/data-streams",
                &[],
                Some(stream.clone()),
                200,
                Some(summary.clone()),
            ),
            false,
        ),
        (
            exchange("POST", "/data-streams", &[], Some(listed), 200, Some(summary)),
            true,
        ),
        (
            exchange(
                "POST",
                "/connections/actions/test",
                &[],
                Some(json!({"connectorType": "AwsRdsMySql"})),
                200,
                Some(json!({"status": "Success"})),
            ),
            false,
        ),
        (
            exchange(
                "PATCH",
                "/connections/0ln1",
                &[],
                Some(json!({"connectorType": "StreamingApp", "modules": []})),
                204,
                None,
            ),
            true,
        ),
        (
            exchange(
                "DELETE",
                "/data-streams/S",
                &[],
                None,
                404,
                Some(json!([{"errorCode": "NOT_FOUND", "message": "gone"}])),
            ),
            true,
        ),
        (
            exchange(
                "DELETE",
                "/data-streams/S",
                &[],
                None,
                404,
                Some(json!({"error": "gone"})),
            ),
            false,
        ),
    ];
    for (case, passes) in cases {
        let report = check::check(&spec, std::slice::from_ref(&case));
        assert_eq!(
            report.failures.is_empty(),
            passes,
            "{} {}: {:?}",
            case.method,
            case.path,
            report.failures
        );
    }
}
