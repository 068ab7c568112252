//! The Kubernetes and Grafana examples of `d360 watch`: the YAML and JSON parse; the
//! Deployment runs the image the release workflow publishes from the Dockerfile, with
//! arguments the binary accepts (compared with `d360 watch --help`) on the port the probes,
//! Service and ServiceMonitor use; and every metric an alert or a dashboard query names is
//! one a running watch exports (scraped from its /metrics).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::watch::{live_metrics, watch_flags};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every document of every YAML file in `examples/kubernetes`, with its file name.
fn kubernetes_documents() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples().join("kubernetes"))
        .expect("examples/kubernetes")
        .map(|entry| entry.expect("entry").path())
        .collect();
    files.sort();
    let mut documents = Vec::new();
    for path in files {
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        assert!(
            path.extension().is_some_and(|e| e.eq_ignore_ascii_case("yaml")),
            "{name}: only YAML belongs in examples/kubernetes"
        );
        let text = read(&path);
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value = <Value as serde::Deserialize>::deserialize(document)
                .unwrap_or_else(|e| panic!("{name} is not YAML: {e}"));
            documents.push((name.clone(), value));
        }
    }
    documents
}

fn kind<'a>(documents: &'a [(String, Value)], wanted: &str) -> &'a Value {
    let found: Vec<&Value> = documents
        .iter()
        .map(|(_, d)| d)
        .filter(|d| d["kind"].as_str() == Some(wanted))
        .collect();
    assert_eq!(found.len(), 1, "expected one {wanted}");
    found[0]
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, found {value:?}"))
}

fn list(value: &Value) -> &Vec<Value> {
    value
        .as_sequence()
        .unwrap_or_else(|| panic!("expected a list, found {value:?}"))
}

/// Whether every `key: value` of `subset` is in `labels`.
fn labels_match(subset: &Value, labels: &Value) -> bool {
    subset
        .as_mapping()
        .is_some_and(|map| !map.is_empty() && map.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

/// The `d360_...` metric names in a PromQL expression.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let pattern = regex::Regex::new(r"\bd360_[a-z0-9_]+\b").expect("regex");
    pattern.find_iter(expr).map(|m| m.as_str().to_owned()).collect()
}

fn dockerfile() -> String {
    read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile"))
}

#[test]
fn kubernetes_examples_match_the_image_and_the_binary() {
    let documents = kubernetes_documents();
    let deployment = kind(&documents, "Deployment");
    let service = kind(&documents, "Service");
    let monitor = kind(&documents, "ServiceMonitor");
    let config = kind(&documents, "ConfigMap");
    kind(&documents, "PrometheusRule");

    // The kustomization names every other file.
    let kustomization = kind(&documents, "Kustomization");
    let named: BTreeSet<&str> = list(&kustomization["resources"]).iter().map(text).collect();
    let files: BTreeSet<&str> = documents
        .iter()
        .map(|(file, _)| file.as_str())
        .filter(|f| *f != "kustomization.yaml")
        .collect();
    assert_eq!(named, files);

    let spec = &deployment["spec"];
    assert_eq!(spec["replicas"].as_u64(), Some(3));
    let pod = &spec["template"];
    assert!(labels_match(
        &spec["selector"]["matchLabels"],
        &pod["metadata"]["labels"]
    ));
    let containers = list(&pod["spec"]["containers"]);
    let container = |name: &str| {
        containers
            .iter()
            .find(|c| c["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no `{name}` container"))
    };
    let d360 = container("d360");
    let git_sync = container("git-sync");

    // The image the release workflow builds from the Dockerfile, whose entrypoint is d360
    // and whose user is distroless `nonroot` (65532).
    let docker = dockerfile();
    assert!(docker.contains(r#"ENTRYPOINT ["/usr/local/bin/d360"]"#), "{docker}");
    assert!(docker.contains("USER nonroot:nonroot"), "{docker}");
    assert!(d360.get("command").is_none(), "the image's ENTRYPOINT runs d360");
    assert_eq!(pod["spec"]["securityContext"]["runAsUser"].as_u64(), Some(65532));
    let release = read(&examples().join("ci/github-actions/d360-release.yml"));
    // The pushed path is the repository's, lowercased (uppercase is not valid in an image path).
    assert!(release.contains(r#"run: echo "name=ghcr.io/${GITHUB_REPOSITORY,,}" >> "$GITHUB_OUTPUT""#));
    assert!(release.contains("tags: ${{ steps.image.outputs.name }}:${{ github.ref_name }}"));
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(text(&d360["image"]), format!("d360:{tag}"));
    // One place says where the image comes from, and the namespace is created, not assumed.
    let images = list(&kustomization["images"]);
    assert_eq!(images.len(), 1, "{images:?}");
    assert_eq!(text(&images[0]["name"]), "d360");
    assert_eq!(text(&images[0]["newTag"]), tag);
    let namespace = kind(&documents, "Namespace");
    assert_eq!(text(&namespace["metadata"]["name"]), text(&kustomization["namespace"]));
    for (file, _) in &documents {
        assert!(
            !read(&examples().join("kubernetes").join(file)).contains("OWNER"),
            "{file}"
        );
    }

    // The arguments parse with the real CLI, and name only flags `d360 watch --help` lists.
    let args: Vec<String> = list(&d360["args"]).iter().map(|a| text(a).to_owned()).collect();
    assert_eq!(args[0], "watch");
    let mut words = vec!["d360".to_owned()];
    words.extend(args.iter().cloned());
    if let Err(error) = d360::cli::check_arguments(&words) {
        panic!("`{}` does not parse: {error}", args.join(" "));
    }
    let flags = watch_flags();
    for flag in args.iter().filter(|a| a.starts_with("--")) {
        let flag = flag.split('=').next().expect("flag");
        assert!(
            flags.iter().any(|f| f == flag),
            "{flag} is not in `d360 watch --help`: {flags:?}"
        );
    }
    for needed in ["--listen", "--interval", "--org", "--config", "--heal"] {
        assert!(
            flags.iter().any(|f| f == needed),
            "{needed} missing from --help: {flags:?}"
        );
    }
    let after = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .unwrap_or_else(|| panic!("no {flag} in {args:?}"))
            .clone()
    };
    let listen: std::net::SocketAddr = after("--listen").parse().expect("--listen is an address");
    assert!(
        listen.ip().is_unspecified(),
        "a pod must listen beyond loopback: {listen}"
    );

    // The port: the container's, the probes', the Service's, the ServiceMonitor's.
    let ports = list(&d360["ports"]);
    let metrics_port = ports
        .iter()
        .find(|p| p["name"].as_str() == Some("metrics"))
        .expect("a `metrics` port");
    assert_eq!(metrics_port["containerPort"].as_u64(), Some(u64::from(listen.port())));
    for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        let get = &d360[probe]["httpGet"];
        assert_eq!(get["path"].as_str(), Some(path), "{probe}");
        assert!(
            get["port"].as_str() == Some("metrics") || get["port"].as_u64() == Some(u64::from(listen.port())),
            "{probe}: {get:?}"
        );
    }
    assert!(labels_match(&service["spec"]["selector"], &pod["metadata"]["labels"]));
    let service_port = &list(&service["spec"]["ports"])[0];
    assert!(
        service_port["targetPort"].as_str() == Some("metrics")
            || service_port["targetPort"].as_u64() == Some(u64::from(listen.port()))
    );
    let endpoint = &list(&monitor["spec"]["endpoints"])[0];
    assert_eq!(endpoint["port"], service_port["name"]);
    assert_eq!(endpoint["path"].as_str(), Some("/metrics"));
    assert!(labels_match(
        &monitor["spec"]["selector"]["matchLabels"],
        &service["metadata"]["labels"]
    ));

    // git-sync's checkout is the manifests path d360 reads, on a volume both mount.
    let git_args: Vec<&str> = list(&git_sync["args"]).iter().map(text).collect();
    let option = |name: &str| {
        git_args
            .iter()
            .find_map(|a| a.strip_prefix(&format!("--{name}=")))
            .unwrap_or_else(|| panic!("git-sync has no --{name}"))
    };
    let checkout = format!("{}/{}", option("root"), option("link"));
    assert!(
        args[1].starts_with(&checkout),
        "d360 reads {} but git-sync checks out into {checkout}",
        args[1]
    );
    let mount_of = |container: &Value, path: &str| {
        list(&container["volumeMounts"])
            .iter()
            .find(|m| path.starts_with(text(&m["mountPath"])))
            .map(|m| text(&m["name"]).to_owned())
    };
    assert_eq!(mount_of(d360, &args[1]), mount_of(git_sync, &checkout));
    assert!(mount_of(d360, &args[1]).is_some());

    // Secrets: every `fromEnv` of the org profile is set from a Secret, and the connected
    // app's key file is on a Secret volume.
    let profile = text(&config["data"]["d360.yaml"]);
    let profile_value: Value = serde_yaml::from_str(profile).expect("d360.yaml parses");
    assert!(profile_value["orgs"].get(after("--org").as_str()).is_some());
    let env = list(&d360["env"]);
    let from_env = regex::Regex::new(r"fromEnv:\s*([A-Z0-9_]+)").expect("regex");
    let variables: Vec<&str> = from_env
        .captures_iter(profile)
        .map(|c| c.get(1).expect("name").as_str())
        .collect();
    assert!(variables.len() >= 2, "{profile}");
    for name in variables.iter().chain(["RDS_USER", "RDS_PASSWORD"].iter()) {
        let variable = env
            .iter()
            .find(|e| e["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("{name} is not set in the d360 container"));
        assert!(
            variable["valueFrom"]["secretKeyRef"]["name"].as_str().is_some(),
            "{name} must come from a Secret"
        );
    }
    let key_file = regex::Regex::new(r"privateKeyFile:\s*(\S+)")
        .expect("regex")
        .captures(profile)
        .and_then(|c| c.get(1))
        .expect("a privateKeyFile")
        .as_str();
    let key_volume = mount_of(d360, key_file).expect("the key file's volume");
    let volume = list(&pod["spec"]["volumes"])
        .iter()
        .find(|v| v["name"].as_str() == Some(key_volume.as_str()))
        .expect("the key volume");
    assert!(volume["secret"]["secretName"].as_str().is_some(), "{volume:?}");
    let config_mount = mount_of(d360, &after("--config")).expect("the config's volume");
    assert!(
        list(&pod["spec"]["volumes"])
            .iter()
            .any(|v| v["name"].as_str() == Some(config_mount.as_str())
                && v["configMap"]["name"] == config["metadata"]["name"])
    );
}

#[test]
fn alerts_and_dashboard_name_only_exported_metrics() {
    let live = live_metrics();
    let exported = live.names();
    let documents = kubernetes_documents();
    let rule = kind(&documents, "PrometheusRule");
    let mut alerts = BTreeSet::new();
    let mut named = BTreeSet::new();
    for group in list(&rule["spec"]["groups"]) {
        for rule in list(&group["rules"]) {
            let alert = text(&rule["alert"]).to_owned();
            let expr = text(&rule["expr"]);
            let metrics = metric_names(expr);
            assert!(!metrics.is_empty(), "{alert}: names no d360 metric");
            for metric in &metrics {
                assert!(
                    exported.contains(metric),
                    "{alert}: `{metric}` is not exported: {exported:?}"
                );
            }
            assert!(rule["for"].as_str().is_some(), "{alert}: no `for`");
            assert!(rule["labels"]["severity"].as_str().is_some(), "{alert}: no severity");
            assert!(rule["annotations"]["summary"].as_str().is_some(), "{alert}: no summary");
            named.extend(metrics);
            alerts.insert(alert);
        }
    }
    // Drift present, reconcile failing, no successful run, budget low.
    for metric in [
        "d360_drift_objects",
        "d360_reconcile_runs_total",
        "d360_last_success_timestamp_seconds",
        "d360_api_budget_remaining",
    ] {
        assert!(named.contains(metric), "no alert on {metric}: {alerts:?}");
    }

    let text = read(&examples().join("grafana/d360-dashboard.json"));
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("dashboard JSON");
    let mut queries = 0;
    let mut panels_named = BTreeSet::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            let metrics = metric_names(expr);
            assert!(!metrics.is_empty(), "{expr}: names no d360 metric");
            for metric in &metrics {
                assert!(
                    exported.contains(metric),
                    "dashboard: `{metric}` is not exported: {exported:?}"
                );
            }
            panels_named.extend(metrics);
            queries += 1;
        }
    }
    for variable in dashboard["templating"]["list"].as_array().expect("variables") {
        if let Some(query) = variable["definition"].as_str() {
            for metric in metric_names(query) {
                assert!(exported.contains(&metric), "variable: `{metric}` is not exported");
            }
        }
    }
    assert!(queries >= 8, "{queries} queries");
    // Every family shows on the dashboard (a counter as `_total`, a histogram by its parts).
    for metric in live.families.keys().filter(|f| f.starts_with("d360_")) {
        let shown = panels_named.iter().any(|p| p.starts_with(metric.as_str()));
        assert!(shown, "the dashboard shows nothing of {metric}");
    }
}
