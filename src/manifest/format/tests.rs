use super::{FormatError, Schemas, format};

fn fmt(text: &str) -> String {
    let schemas = Schemas::load().expect("schemas");
    format(text, &schemas).expect("formats")
}

#[test]
fn keys_follow_the_schema_and_indentation_becomes_two_spaces() {
    let text = "spec:\n    label: Clinic\n    connectorType: AwsRdsMySql\nmetadata:\n    name: C1\nkind: Connection\napiVersion: d360/v1\n";
    assert_eq!(
        fmt(text),
        "apiVersion: d360/v1\nkind: Connection\nmetadata:\n  name: C1\nspec:\n  connectorType: AwsRdsMySql\n  label: Clinic\n"
    );
}

#[test]
fn formatting_is_idempotent_and_keeps_comments_flow_style_and_quotes() {
    let text = r#"# header
apiVersion: d360/v1
kind: Connection   # the kind
metadata: { name: C1, labels: { team: a } }
spec:
  # the label users see
  label: 'It''s "mine"'
  connectorType: AwsRdsMySql
  parameters:
    HOST: db.example.com # where
    PORT: "3306"
  lifecycle:
    ignoreChanges: [label]
# trailer
"#;
    let once = fmt(text);
    assert_eq!(fmt(&once), once, "a second run changes nothing");
    for comment in [
        "# header",
        "# the kind",
        "# the label users see",
        "# where",
        "# trailer",
    ] {
        assert!(once.contains(comment), "{comment} kept: {once}");
    }
    assert!(once.contains("metadata: { name: C1, labels: { team: a } }"), "{once}");
    assert!(
        once.contains("'It''s \"mine\"'") && once.contains("PORT: \"3306\""),
        "{once}"
    );
    let label = once.find("# the label users see").expect("comment");
    let connector = once.find("connectorType").expect("key");
    assert!(connector < label, "the comment moves with its key: {once}");
}

#[test]
fn documents_sequences_block_scalars_and_unknown_keys() {
    let text = "---\nkind: DataStream\napiVersion: d360/v1\nmetadata:\n  name: S\nspec:\n  zzz: 1\n  fields:\n  - type: Text\n    name: id\n  - {name: b, type: Number}\n  label: |\n    two\n    lines\n---\nkind: Connection\n";
    let out = fmt(text);
    assert!(out.starts_with("---\napiVersion: d360/v1\nkind: DataStream\n"), "{out}");
    assert!(
        out.contains("  fields:\n    - name: id\n      type: Text\n    - { name: b, type: Number }\n"),
        "{out}"
    );
    assert!(out.contains("  label: |\n    two\n    lines\n"), "{out}");
    assert!(
        out.find("zzz").expect("kept") > out.find("fields").expect("fields"),
        "unknown keys last: {out}"
    );
    assert!(out.contains("\n---\nkind: Connection\n"), "{out}");
    assert_eq!(fmt(&out), out);
}

#[test]
fn anchors_and_syntax_errors_leave_the_file_alone() {
    let schemas = Schemas::load().expect("schemas");
    assert!(matches!(
        format("a: &x 1\nb: *x\n", &schemas),
        Err(FormatError::Unsupported(_))
    ));
    assert!(matches!(
        format("a: [1, 2\n", &schemas),
        Err(FormatError::Syntax { .. })
    ));
}

#[test]
fn values_whose_meaning_depends_on_quotes_keep_them() {
    let out = fmt("kind: Connection\nspec:\n  parameters: { A: 'yes', B: yes, C: '', D: \"1\" }\n  empty:\n");
    assert!(out.contains("A: 'yes', B: yes, C: '', D: \"1\""), "{out}");
    assert!(out.contains("  empty:\n"), "{out}");
}
