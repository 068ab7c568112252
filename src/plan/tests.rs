//! The pure planner over an in-memory org: each case is declared resources, live objects and
//! state, and the actions (and errors) the plan must hold. No HTTP, no environment, no clock.

use std::collections::BTreeMap;

use super::{
    ActionKind, Address, DeleteLimit, Inputs, Options, Plan, PlanError, Reason, ResolvedSecrets, Warning, build,
};
use crate::kinds::{CheckFailure, CheckOutcome, Connection, DataStream, LiveObject, Method, Resource};
use crate::manifest::{Declared, Origin, Pos};
use crate::model::{Kind, Lifecycle, ResourceKey, fingerprint_of};
use crate::refresh::{self, LiveRead, LiveSnapshot, MemoryOrg};
use crate::secret::SecretRef;
use crate::state::{Managed, State};

fn connection(name: &str) -> Connection {
    Connection {
        name: name.to_owned(),
        labels: crate::model::SmallMap::new(),
        connector_type: "AwsRdsMySql".to_owned(),
        label: format!("Clinic {name}"),
        method: Method::Ingress.into(),
        parameters: [("DATABASE".to_owned(), "clinic".to_owned())].into_iter().collect(),
        credentials: crate::model::SmallMap::new(),
        lifecycle: Lifecycle::default(),
    }
}

fn with_password(mut connection: Connection) -> Connection {
    connection
        .credentials
        .insert("password".to_owned(), SecretRef::FromEnv("TEST_PASSWORD".to_owned()));
    connection
}

fn stream(name: &str, connection: &str) -> DataStream {
    let mut stream = DataStream::example(name);
    stream.connection = connection.to_owned();
    stream
}

fn declared(resource: impl Into<Resource>) -> Declared {
    Declared {
        resource: std::sync::Arc::new(resource.into()),
        origin: Origin {
            file: "manifests/test.yaml".into(),
            pos: Pos {
                line: 1,
                column: 1,
                offset: 0,
            },
            item: None,
            reference_pos: None,
        },
        placement: crate::kinds::document::Placement::ThisOrg,
    }
}

/// The live copy of a declared resource, as the org would answer it (no credentials, no
/// lifecycle, no labels).
fn live(resource: impl Into<Resource>, id: &str) -> LiveObject {
    let mut resource: Resource = resource.into();
    match &mut resource {
        Resource::Connection(c) => {
            c.credentials.clear();
            c.lifecycle = Lifecycle::default();
        }
        Resource::DataStream(s) => s.lifecycle = Lifecycle::default(),
    }
    LiveObject::new(id.to_owned(), resource, Vec::new(), crate::kinds::Unreported::default())
}

fn managed(resource: impl Into<Resource>, id: &str) -> Managed {
    let resource: Resource = resource.into();
    Managed {
        kind: resource.kind(),
        name: resource.name().to_owned(),
        id: id.to_owned(),
        scope: resource.listing().scope,
        spec_digest: fingerprint_of("", &resource.fields()),
        secrets: crate::model::SmallMap::new(),
        prevent_destroy: resource.lifecycle().prevent_destroy,
        updated: "2026-01-01T00:00:00Z".to_owned(),
        not_kept: Vec::new(),
    }
}

impl From<Connection> for Resource {
    fn from(connection: Connection) -> Self {
        Resource::Connection(connection)
    }
}

impl From<DataStream> for Resource {
    fn from(stream: DataStream) -> Self {
        Resource::DataStream(Box::new(stream))
    }
}

/// One planner case.
#[derive(Default)]
struct Case {
    desired: Vec<Declared>,
    org: Vec<LiveObject>,
    state: Vec<Managed>,
    secrets: ResolvedSecrets,
    options: Options,
    usage: Option<(u64, u64)>,
    /// What `--check` finds per resource.
    probes: BTreeMap<ResourceKey, CheckOutcome>,
}

impl Case {
    fn plan(&self) -> Plan {
        let org = MemoryOrg {
            objects: self.org.clone(),
            usage: self.usage,
            probes: self.probes.clone(),
            ..MemoryOrg::default()
        };
        let mut state = State::empty("test");
        for entry in &self.state {
            state.put(entry.clone());
        }
        let listings = refresh::listings_in_play(&self.desired, &state);
        let live: LiveSnapshot =
            futures::executor::block_on(refresh::read(&org, &listings, &state)).expect("memory org reads");
        let mut inputs = Inputs {
            org: "test",
            desired: &self.desired,
            live: &live,
            state: &state,
            secrets: &self.secrets,
            findings: Vec::new(),
            options: &self.options,
            now: "2026-12-01T00:00:00Z".to_owned(),
            reads: org.requests(),
            checks: BTreeMap::new(),
            check_requests: 0,
            usage: org.usage(),
        };
        let plan = build(&inputs);
        if !self.options.check {
            return plan;
        }
        let before = org.requests();
        let wanted = super::make::check_requests(&plan, &live);
        inputs.checks = futures::executor::block_on(refresh::probe(&org, wanted)).expect("memory org checks");
        inputs.check_requests = org.requests() - before;
        build(&inputs)
    }
}

fn key(kind: Kind, name: &str) -> ResourceKey {
    ResourceKey::new(kind, name)
}

/// The plan's actions as `(action, key)`, in execution order.
fn actions(plan: &Plan) -> Vec<(ActionKind, ResourceKey)> {
    plan.actions.iter().map(|a| (a.action, a.key())).collect()
}

#[track_caller]
fn check(case: &Case, expected: &[(ActionKind, ResourceKey)], errors: usize) -> Plan {
    let plan = case.plan();
    assert_eq!(actions(&plan), expected, "actions");
    assert_eq!(plan.errors.len(), errors, "errors: {:?}", plan.errors);
    plan
}

/// An org that holds exactly what is declared and recorded.
fn in_sync(resources: Vec<Resource>) -> Case {
    let mut case = Case::default();
    for (index, resource) in resources.into_iter().enumerate() {
        let id = format!("0{index}");
        case.org.push(live(resource.clone(), &id));
        case.state.push(managed(resource.clone(), &id));
        case.desired.push(declared(resource));
    }
    case
}

#[test]
fn an_unchanged_org_gives_an_empty_plan() {
    let case = in_sync(vec![connection("A").into(), stream("S", "A").into()]);
    let plan = check(&case, &[], 0);
    assert!(!plan.has_work());
    assert_eq!(plan.summary.unchanged, 2);
    assert!(plan.unmanaged.is_empty() && plan.no_longer_declared.is_empty());
}

#[test]
fn creates_connections_before_the_streams_that_use_them() {
    let case = Case {
        desired: vec![declared(stream("S", "A")), declared(connection("A"))],
        ..Case::default()
    };
    check(
        &case,
        &[
            (ActionKind::Create, key(Kind::Connection, "A")),
            (ActionKind::Create, key(Kind::DataStream, "S")),
        ],
        0,
    );
}

#[test]
fn a_changed_label_is_an_update_and_ignore_changes_hides_it() {
    let mut case = in_sync(vec![connection("A").into()]);
    let Resource::Connection(desired) = std::sync::Arc::make_mut(&mut case.desired[0].resource) else {
        unreachable!("the case declares a connection");
    };
    desired.label = "Renamed".to_owned();
    let plan = check(&case, &[(ActionKind::Update, key(Kind::Connection, "A"))], 0);
    let fields: Vec<&str> = plan.actions[0].changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["label"]);

    desired_lifecycle(&mut case).ignore_changes = vec!["label".to_owned()];
    check(&case, &[], 0);
}

fn desired_lifecycle(case: &mut Case) -> &mut Lifecycle {
    match std::sync::Arc::make_mut(&mut case.desired[0].resource) {
        Resource::Connection(c) => &mut c.lifecycle,
        Resource::DataStream(s) => &mut s.lifecycle,
    }
}

#[test]
fn a_new_connector_type_replaces_the_connection_and_its_streams() {
    let mut case = in_sync(vec![connection("A").into(), stream("S", "A").into()]);
    let Resource::Connection(desired) = std::sync::Arc::make_mut(&mut case.desired[0].resource) else {
        unreachable!("the case declares a connection first");
    };
    desired.connector_type = "AwsRdsPostgres".to_owned();
    // The live connection keeps its type: it is found under the old type's listing.
    case.state[0].scope = Some("AwsRdsMySql".to_owned());
    // Both managed objects are replaced (each deleted first): a mass deletion unless allowed.
    case.options.allow_mass_delete = true;
    let plan = check(
        &case,
        &[
            (ActionKind::Replace, key(Kind::Connection, "A")),
            (ActionKind::Replace, key(Kind::DataStream, "S")),
        ],
        0,
    );
    assert!(
        plan.actions[1]
            .reasons
            .iter()
            .any(|r| r.text().contains("`A` is replaced")),
        "{:?}",
        plan.actions[1]
    );
    assert_eq!(plan.summary.unchanged, 0);

    desired_lifecycle(&mut case).prevent_destroy = true;
    let plan = case.plan();
    assert!(
        matches!(plan.errors.as_slice(), [PlanError::ReplaceProtected { .. }]),
        "{:?}",
        plan.errors
    );
}

#[test]
fn a_managed_object_no_longer_declared_is_deleted_only_with_prune() {
    let mut case = in_sync(vec![connection("A").into(), connection("Gone").into()]);
    case.desired.pop();
    let plan = check(&case, &[], 0);
    assert_eq!(plan.no_longer_declared.len(), 1);

    case.options.prune = true;
    check(&case, &[(ActionKind::Delete, key(Kind::Connection, "Gone"))], 0);

    // preventDestroy recorded when it was applied still holds once the manifest is gone: the
    // object is listed as protected, not deleted, and the plan stays applicable.
    case.state[1].prevent_destroy = true;
    let plan = check(&case, &[], 0);
    let protected: Vec<&str> = plan.protected.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(protected, ["Gone"]);
}

#[test]
fn no_declared_resource_is_an_error_unless_allowed() {
    let mut case = in_sync(vec![connection("A").into()]);
    case.desired.clear();
    let plan = case.plan();
    assert_eq!(plan.errors, [PlanError::NoManifests]);

    case.options.allow_empty = true;
    let plan = check(&case, &[], 0);
    assert_eq!(plan.no_longer_declared.len(), 1);
}

/// Four managed connections, `undeclared` of them no longer declared, planned with `--prune`.
fn pruning(undeclared: usize) -> Case {
    let mut case = in_sync(["A", "B", "C", "D"].map(|n| connection(n).into()).to_vec());
    case.desired.truncate(4 - undeclared);
    case.options.prune = true;
    case.options.allow_empty = true;
    case
}

#[test]
fn deleting_more_than_the_limit_of_managed_objects_is_refused_unless_allowed() {
    // (undeclared of 4, limit, refused)
    let table: [(usize, DeleteLimit, bool); 7] = [
        (1, DeleteLimit::Fraction(0.25), false),
        (2, DeleteLimit::Fraction(0.25), true),
        (4, DeleteLimit::Fraction(0.25), true),
        (2, DeleteLimit::Fraction(0.5), false),
        (3, DeleteLimit::Count(3), false),
        (4, DeleteLimit::Count(3), true),
        // One delete is never a mass deletion.
        (1, DeleteLimit::Count(0), false),
    ];
    for (undeclared, limit, refused) in table {
        let mut case = pruning(undeclared);
        case.options.delete_limit = limit;
        let plan = case.plan();
        assert_eq!(plan.summary.delete, undeclared, "{limit:?}");
        let mass = plan.errors.iter().any(|e| matches!(e, PlanError::MassDelete { .. }));
        assert_eq!(mass, refused, "{undeclared} of 4 with {limit:?}: {:?}", plan.errors);
        case.options.allow_mass_delete = true;
        assert!(case.plan().errors.is_empty(), "--allow-mass-delete");
    }
    let mut case = pruning(4);
    case.state[0].prevent_destroy = true;
    case.state[1].prevent_destroy = true;
    // Protected objects are not deleted, so they do not count: 2 of 4 is still too many.
    let plan = case.plan();
    assert_eq!((plan.summary.delete, plan.protected.len()), (2, 2));
    assert_eq!(
        plan.errors[0].to_string(),
        "the plan deletes 2 of 4 managed objects, more than --max-delete-fraction allows (25%); check the paths and selection, or pass --allow-mass-delete if that is intended"
    );
}

#[test]
fn replaces_count_as_deletes_for_the_mass_delete_guard() {
    // Four managed streams whose connection changed: four replaces, each a delete first.
    let mut case = in_sync(["S1", "S2", "S3", "S4"].map(|name| stream(name, "A").into()).to_vec());
    for declared in &mut case.desired {
        if let Resource::DataStream(stream) = std::sync::Arc::make_mut(&mut declared.resource) {
            stream.connection = "B".to_owned();
        }
    }
    let plan = case.plan();
    assert_eq!(plan.summary.replace, 4);
    assert_eq!(
        plan.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "the plan deletes 4 of 4 managed objects (4 of them replaced: deleted, then created anew), more than --max-delete-fraction allows (25%); check the paths and selection, or pass --allow-mass-delete if that is intended"
        ]
    );
    assert!(
        plan.actions[0].reasons.iter().any(|reason| reason
            .text()
            .contains("its data lake object may lose the data it holds")),
        "{:?}",
        plan.actions[0].reasons
    );
    case.options.allow_mass_delete = true;
    assert!(case.plan().errors.is_empty());
    // One replace is never a mass deletion.
    case.options.allow_mass_delete = false;
    case.desired.truncate(1);
    case.org.truncate(1);
    case.state.truncate(1);
    assert!(case.plan().errors.is_empty());
}

#[test]
fn a_live_field_the_org_did_not_report_is_never_a_change() {
    let mut case = in_sync(vec![connection("A").into(), stream("S", "A").into()]);
    for object in &mut case.org {
        match &mut object.resource {
            Resource::DataStream(stream) => {
                stream.connection = String::new();
                object.unreported.note("connection");
            }
            Resource::Connection(connection) => {
                connection.parameters.clear();
                object.unreported.note("parameters");
            }
        }
    }
    let plan = check(&case, &[], 0);
    let not_compared: Vec<(String, Vec<String>)> = plan
        .not_compared
        .iter()
        .map(|n| (n.key().to_string(), n.fields.clone()))
        .collect();
    assert_eq!(
        not_compared,
        [
            ("Connection/A".to_owned(), vec!["parameters.DATABASE".to_owned()]),
            ("DataStream/S".to_owned(), vec!["connection".to_owned()]),
        ]
    );
}

#[test]
fn a_connection_a_remaining_stream_uses_cannot_be_pruned() {
    let mut case = in_sync(vec![connection("A").into(), stream("S", "A").into()]);
    case.desired.remove(0);
    case.options.prune = true;
    let plan = check(&case, &[(ActionKind::Delete, key(Kind::Connection, "A"))], 1);
    assert!(
        matches!(plan.errors[0], PlanError::DeleteInUse { .. }),
        "{:?}",
        plan.errors
    );
}

#[test]
fn live_objects_not_in_state_are_adopted_and_vanished_ones_forgotten() {
    let mut case = in_sync(vec![connection("A").into(), connection("Lost").into()]);
    case.state.remove(0);
    case.org.remove(1);
    case.desired.remove(1);
    check(
        &case,
        &[
            (ActionKind::Adopt, key(Kind::Connection, "A")),
            (ActionKind::Forget, key(Kind::Connection, "Lost")),
        ],
        0,
    );
}

#[test]
fn a_declared_object_deleted_outside_d360_is_created_again() {
    let mut case = in_sync(vec![connection("A").into()]);
    case.org.clear();
    let plan = check(&case, &[(ActionKind::Create, key(Kind::Connection, "A"))], 0);
    assert!(plan.actions[0].reasons[0].text().contains("deleted outside d360"));
}

#[test]
fn secret_fingerprints_decide_credential_updates() {
    // (fingerprint in state, fingerprint now, actions, errors)
    type Row<'a> = (Option<&'a str>, Result<&'a str, &'a str>, &'a [ActionKind], usize);
    let table: [Row; 4] = [
        (Some("same"), Ok("same"), &[], 0),
        (Some("old"), Ok("new"), &[ActionKind::Update], 0),
        (None, Ok("new"), &[ActionKind::Update], 0),
        // Unreadable now: nothing to compare, and no change of fields needs it.
        (Some("old"), Err("TEST_PASSWORD is not set"), &[], 0),
    ];
    for (recorded, current, expected, errors) in table {
        let mut case = in_sync(vec![with_password(connection("A")).into()]);
        if let Some(recorded) = recorded {
            case.state[0].secrets.insert("password".to_owned(), recorded.to_owned());
        }
        case.secrets.insert(
            key(Kind::Connection, "A"),
            "password",
            current.map(str::to_owned).map_err(str::to_owned),
        );
        let plan = case.plan();
        let kinds: Vec<ActionKind> = plan.actions.iter().map(|a| a.action).collect();
        assert_eq!(kinds, expected, "recorded {recorded:?}, current {current:?}");
        assert_eq!(plan.errors.len(), errors, "{:?}", plan.errors);
        if let Some(action) = plan.actions.first() {
            let change = &action.changes[0];
            assert!(
                change.sensitive && change.old.is_none() && change.new.is_none(),
                "{change:?}"
            );
            let note = if recorded.is_some() {
                "(sensitive value changed)"
            } else {
                "(unknown, will be set)"
            };
            assert_eq!(change.note.as_deref(), Some(note));
        }
    }
}

#[test]
fn an_update_that_must_send_unreadable_credentials_is_an_error() {
    let mut case = in_sync(vec![with_password(connection("A")).into()]);
    let Resource::Connection(desired) = std::sync::Arc::make_mut(&mut case.desired[0].resource) else {
        unreachable!("the case declares a connection");
    };
    desired.label = "Renamed".to_owned();
    case.secrets.insert(
        key(Kind::Connection, "A"),
        "password",
        Err("TEST_PASSWORD is not set".to_owned()),
    );
    let plan = check(&case, &[(ActionKind::Update, key(Kind::Connection, "A"))], 1);
    assert!(matches!(
        plan.errors[0],
        PlanError::SecretsUnavailable { action: "update", .. }
    ));
}

#[test]
fn a_target_brings_its_dependencies_and_an_unknown_one_is_an_error() {
    let case = Case {
        desired: vec![
            declared(connection("A")),
            declared(connection("B")),
            declared(stream("S", "A")),
        ],
        options: Options {
            targets: vec![key(Kind::DataStream, "S").into(), key(Kind::Connection, "Nope").into()],
            ..Options::default()
        },
        ..Case::default()
    };
    let plan = check(
        &case,
        &[
            (ActionKind::Create, key(Kind::Connection, "A")),
            (ActionKind::Create, key(Kind::DataStream, "S")),
        ],
        1,
    );
    assert_eq!(
        plan.errors[0].to_string(),
        "--target `Connection/Nope` matches no declared or managed resource"
    );
}

#[test]
fn an_object_live_but_neither_declared_nor_managed_is_unmanaged() {
    let mut case = in_sync(vec![connection("A").into()]);
    case.org.push(live(connection("Hand_Made"), "07"));
    let plan = check(&case, &[], 0);
    let unmanaged: Vec<&str> = plan.unmanaged.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(unmanaged, ["Hand_Made"]);
}

#[test]
fn the_api_estimate_counts_each_action_and_the_read() {
    let mut case = in_sync(vec![
        connection("A").into(),
        connection("B").into(),
        stream("S", "A").into(),
    ]);
    case.usage = Some((14_000, 15_000));
    case.desired.push(declared(connection("New")));
    let Resource::Connection(b) = std::sync::Arc::make_mut(&mut case.desired[1].resource) else {
        unreachable!("the case declares B second");
    };
    b.connector_type = "AwsRdsPostgres".to_owned();
    let plan = case.plan();
    let api = plan.api;
    // Listings: AwsRdsMySql, AwsRdsPostgres, data streams.
    assert_eq!((api.reads, api.creates, api.replaces, api.total), (3, 1, 1, 6));
    assert_eq!(api.lookups_at_most, 2);
    assert_eq!(api.remaining(), Some(1_000));
    assert!(
        api.describe().contains("the org has 1000 of 15000 left today"),
        "{}",
        api.describe()
    );
}

#[test]
fn check_failures_are_errors_on_their_resource_with_a_did_you_mean_and_are_counted() {
    let not_found = CheckFailure::NotFound {
        what: "object",
        name: "patiens".to_owned(),
        within: "database `clinic`".to_owned(),
        available: vec!["patients".to_owned(), "visits".to_owned()],
    };
    let refused = CheckFailure::Org {
        code: "INVALID_CREDENTIALS".to_owned(),
        message: "User credentials are invalid".to_owned(),
    };
    let case = Case {
        desired: vec![
            declared(connection("A")),
            declared(connection("B")),
            declared(stream("S", "A")),
        ],
        options: Options {
            check: true,
            ..Options::default()
        },
        probes: BTreeMap::from([
            (key(Kind::Connection, "A"), CheckOutcome::Passed),
            (key(Kind::Connection, "B"), CheckOutcome::Failed(vec![refused])),
            (key(Kind::DataStream, "S"), CheckOutcome::Failed(vec![not_found])),
        ]),
        ..Case::default()
    };
    let plan = case.plan();
    let errors: Vec<String> = plan.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "Connection/B: check failed: INVALID_CREDENTIALS: User credentials are invalid",
            "DataStream/S: check failed: source object `patiens` does not exist in database `clinic` (did you mean `patients`?)",
        ]
    );
    assert_eq!(plan.api.checks, 3);
    assert_eq!(plan.api.total, plan.api.reads + 3 + 3, "reads, checks, creates");

    // Without --check nothing is asked and nothing is counted.
    let unchecked = Case {
        options: Options::default(),
        ..case
    };
    let plan = unchecked.plan();
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    assert_eq!(plan.api.checks, 0);
}

#[test]
fn an_unchanged_resource_and_a_label_change_are_not_checked() {
    let mut case = in_sync(vec![connection("A").into()]);
    let mut relabelled = connection("A");
    relabelled.label = "New label".to_owned();
    case.desired = vec![declared(relabelled)];
    case.options.check = true;
    case.probes = BTreeMap::from([(
        key(Kind::Connection, "A"),
        CheckOutcome::Failed(vec![CheckFailure::Org {
            code: "INVALID_CONNECTION".to_owned(),
            message: "unreachable".to_owned(),
        }]),
    )]);
    let plan = check(&case, &[(ActionKind::Update, key(Kind::Connection, "A"))], 0);
    assert_eq!(plan.api.checks, 0);
}

fn address(text: &str) -> Address {
    Address::parse(text).expect("an address")
}

#[test]
fn bare_names_select_when_unambiguous_and_exclude_leaves_out() {
    let mut case = Case {
        desired: vec![
            declared(connection("A")),
            declared(connection("B")),
            declared(connection("Twin")),
            declared(stream("Twin", "A")),
        ],
        ..Case::default()
    };
    case.options.targets = vec![address("B")];
    check(&case, &[(ActionKind::Create, key(Kind::Connection, "B"))], 0);

    case.options.targets = vec![address("Twin")];
    let plan = check(&case, &[], 1);
    assert_eq!(
        plan.errors[0].to_string(),
        "--target `Twin` is ambiguous: Connection/Twin, DataStream/Twin; give KIND/NAME"
    );

    case.options.targets = vec![];
    case.options.exclude = vec![address("Connection/Twin"), address("B")];
    check(
        &case,
        &[
            (ActionKind::Create, key(Kind::Connection, "A")),
            (ActionKind::Create, key(Kind::DataStream, "Twin")),
        ],
        0,
    );
    case.options.exclude = vec![address("Nope")];
    let plan = case.plan();
    assert_eq!(
        plan.errors[0].to_string(),
        "--exclude `Nope` matches no declared or managed resource"
    );
}

#[test]
fn excluded_managed_objects_are_not_pruned() {
    let mut case = pruning(2);
    case.options.exclude = vec![address("C"), address("D")];
    let plan = check(&case, &[], 0);
    assert!(plan.no_longer_declared.is_empty(), "{:?}", plan.no_longer_declared);
}

#[test]
fn a_selector_matching_nothing_is_an_error() {
    let mut case = Case {
        desired: vec![declared(connection("A"))],
        ..Case::default()
    };
    case.options.selector = vec![("team".to_owned(), "nobody".to_owned())];
    let plan = check(&case, &[], 1);
    assert_eq!(
        plan.errors,
        [PlanError::SelectorMatchesNothing("team=nobody".to_owned())]
    );
}

#[test]
fn replace_forces_a_delete_and_create_of_an_unchanged_resource_and_its_streams() {
    let mut case = in_sync(vec![connection("A").into(), stream("S", "A").into()]);
    case.options.replace = vec![address("Connection/A")];
    // Both managed objects are replaced (each deleted first): a mass deletion unless allowed.
    case.options.allow_mass_delete = true;
    let plan = check(
        &case,
        &[
            (ActionKind::Replace, key(Kind::Connection, "A")),
            (ActionKind::Replace, key(Kind::DataStream, "S")),
        ],
        0,
    );
    assert_eq!(plan.actions[0].reasons, ["--replace asks for it"]);

    desired_lifecycle(&mut case).prevent_destroy = true;
    assert!(matches!(
        case.plan().errors.as_slice(),
        [PlanError::ReplaceProtected { .. }]
    ));
    case.desired.clear();
    case.options.allow_empty = true;
    assert!(matches!(
        case.plan().errors.as_slice(),
        [PlanError::ReplaceUndeclared(_)]
    ));
}

#[test]
fn only_the_connector_types_of_manifests_and_state_are_listed_and_data_streams_once() {
    let mut snowflake = connection("Warehouse");
    snowflake.connector_type = "SNOWFLAKE".to_owned();
    let mut s3 = connection("Bucket");
    s3.connector_type = "AwsS3".to_owned();
    let desired = vec![
        declared(connection("A")),
        declared(connection("B")),
        declared(snowflake),
        declared(stream("S1", "A")),
        declared(stream("S2", "B")),
    ];
    let mut state = State::empty("test");
    state.put(managed(s3, "0ln000000000001"));
    state.put(managed(stream("Old", "A"), "1ds000000000001"));
    let listings: Vec<(Kind, Option<String>)> = refresh::listings_in_play(&desired, &state)
        .into_iter()
        .map(|listing| (listing.kind, listing.scope))
        .collect();
    assert_eq!(
        listings,
        [
            (Kind::Connection, Some("AwsRdsMySql".to_owned())),
            (Kind::Connection, Some("AwsS3".to_owned())),
            (Kind::Connection, Some("SNOWFLAKE".to_owned())),
            (Kind::DataStream, None),
        ]
    );
}

/// Drift classifies on the plan's typed facts: rewording every message changes no status,
/// and a note that merely reads like a fact is not one.
#[test]
fn drift_classifies_on_typed_facts_not_words() {
    let mut case = in_sync(vec![
        with_password(connection("A")).into(),
        connection("B").into(),
        connection("C").into(),
    ]);
    case.secrets.insert(
        key(Kind::Connection, "A"),
        "password",
        Err("TEST_PASSWORD is not set".to_owned()),
    );
    let Resource::Connection(desired) = std::sync::Arc::make_mut(&mut case.desired[1].resource) else {
        unreachable!("the case declares a connection");
    };
    desired.label = "Renamed".to_owned();
    let mut plan = case.plan();
    assert!(
        plan.warnings
            .iter()
            .any(|w| matches!(w, Warning::CredentialNotCompared { key: k, .. } if *k == key(Kind::Connection, "A"))),
        "{:?}",
        plan.warnings
    );
    for warning in &mut plan.warnings {
        if let Warning::CredentialNotCompared { problem, .. } = warning {
            *problem = "reworded entirely".to_owned();
        }
    }
    plan.warnings.push(Warning::Note(
        "Connection/C: reads like a fact; not compared".to_owned(),
    ));
    plan.actions[0].reasons = vec![
        Reason::UpdateNote("reworded note".to_owned()),
        Reason::Because("sent by PUT".to_owned()),
    ];
    let mut state = State::empty("test");
    for entry in &case.state {
        state.put(entry.clone());
    }
    let declared: Vec<ResourceKey> = case.desired.iter().map(|d| d.resource.key()).collect();
    let report = crate::drift::from_plan(&plan, &declared, &state, &LiveSnapshot::default());
    let statuses: Vec<(String, crate::drift::Status)> =
        report.items.iter().map(|i| (i.name.clone(), i.status)).collect();
    assert_eq!(
        statuses,
        [
            ("B".to_owned(), crate::drift::Status::Changed),
            ("A".to_owned(), crate::drift::Status::SecretUnverified),
            ("C".to_owned(), crate::drift::Status::InSync),
        ]
    );
    assert_eq!(report.items[0].details, ["sent by PUT"]);
    assert_eq!(report.items[1].details, ["reworded entirely; not compared"]);
    assert_eq!(report.notes, ["Connection/C: reads like a fact; not compared"]);
}
