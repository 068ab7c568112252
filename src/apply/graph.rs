//! The dependency graph of an apply: one node per step (a replace is two steps, delete then
//! create) and the steps each must wait for.
//!
//! Rules: a data stream's create/update waits for its connection's create/update; a
//! connection's delete waits for the deletes of the streams that use it; a replace's create
//! waits for its own delete. Nothing else is ordered, so independent work runs concurrently.

use std::collections::BTreeMap;

use crate::model::ResourceKey;
use crate::plan::{Action, ActionKind};
use crate::refresh::LiveSnapshot;

/// What one step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Create,
    Update,
    Delete,
    Adopt,
    Forget,
}

impl Step {
    /// The step as JSON events name it: `create`, `update`, `delete`, `adopt`, `forget`.
    #[must_use]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Step::Create => "create",
            Step::Update => "update",
            Step::Delete => "delete",
            Step::Adopt => "adopt",
            Step::Forget => "forget",
        }
    }
}

/// One step of one action.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// Index of the action in the plan.
    pub(crate) action: usize,
    pub(crate) step: Step,
    /// Indices of nodes that must finish (successfully) first.
    pub(crate) after: Vec<usize>,
}

/// Builds the nodes of `actions`. A write waits for the writes of what its desired resource
/// depends on; a delete waits for the deletes of the live objects that depend on it.
#[must_use]
pub(crate) fn build(actions: &[Action], live: &LiveSnapshot) -> Vec<Node> {
    let mut nodes: Vec<Node> = Vec::new();
    let mut deletes: BTreeMap<ResourceKey, usize> = BTreeMap::new();
    let mut writes: BTreeMap<ResourceKey, usize> = BTreeMap::new();
    for (index, action) in actions.iter().enumerate() {
        let key = action.key();
        let mut push = |step: Step, after: Vec<usize>| {
            nodes.push(Node {
                action: index,
                step,
                after,
            });
            nodes.len() - 1
        };
        match action.action {
            ActionKind::Create => {
                writes.insert(key, push(Step::Create, Vec::new()));
            }
            ActionKind::Update => {
                writes.insert(key, push(Step::Update, Vec::new()));
            }
            ActionKind::Adopt => {
                writes.insert(key, push(Step::Adopt, Vec::new()));
            }
            ActionKind::Replace => {
                let delete = push(Step::Delete, Vec::new());
                deletes.insert(key.clone(), delete);
                writes.insert(key, push(Step::Create, vec![delete]));
            }
            ActionKind::Delete => {
                deletes.insert(key, push(Step::Delete, Vec::new()));
            }
            ActionKind::Forget => {
                push(Step::Forget, Vec::new());
            }
        }
    }
    // Who depends on whom among the live objects, once: deletes wait for their dependents.
    let mut live_dependents: BTreeMap<ResourceKey, Vec<ResourceKey>> = BTreeMap::new();
    for object in live.objects.values() {
        for dependency in object.resource.depends_on() {
            live_dependents.entry(dependency).or_default().push(object.key());
        }
    }
    for node in &mut nodes {
        let action = &actions[node.action];
        match node.step {
            Step::Create | Step::Update | Step::Adopt => {
                let dependencies = action.desired.iter().flat_map(|desired| desired.depends_on());
                node.after
                    .extend(dependencies.filter_map(|dependency| writes.get(&dependency).copied()));
            }
            Step::Delete => {
                let dependents = live_dependents.get(&action.key()).into_iter().flatten();
                node.after
                    .extend(dependents.filter_map(|dependent| deletes.get(dependent).copied()));
            }
            Step::Forget => {}
        }
    }
    nodes
}

/// For each node, the nodes that wait for it.
#[must_use]
pub(crate) fn children(nodes: &[Node]) -> Vec<Vec<usize>> {
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (index, node) in nodes.iter().enumerate() {
        for &before in &node.after {
            children[before].push(index);
        }
    }
    children
}

/// Every node that depends, directly or not, on `failed` (`children` from [`children`]).
#[must_use]
pub(crate) fn dependents(children: &[Vec<usize>], failed: usize) -> Vec<usize> {
    let mut found = vec![false; children.len()];
    let mut queue = vec![failed];
    while let Some(current) = queue.pop() {
        for &child in &children[current] {
            if !found[child] {
                found[child] = true;
                queue.push(child);
            }
        }
    }
    found.iter().enumerate().filter_map(|(i, f)| f.then_some(i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{DataStream, LiveObject, Resource};
    use crate::model::Kind;

    fn action(kind: ActionKind, resource_kind: Kind, name: &str, desired: Option<Resource>) -> Action {
        Action {
            action: kind,
            kind: resource_kind,
            name: name.to_owned(),
            id: None,
            scope: None,
            changes: Vec::new(),
            reasons: Vec::new(),
            desired: desired.map(std::sync::Arc::new),
            origin: None,
            check_on_apply: false,
        }
    }

    fn stream(name: &str, connection: &str) -> Resource {
        let mut stream = DataStream::example(name);
        stream.connection = connection.to_owned();
        Resource::DataStream(Box::new(stream))
    }

    #[test]
    fn streams_wait_for_their_connection_and_replace_is_ordered() {
        let actions = vec![
            action(ActionKind::Delete, Kind::DataStream, "Old_Stream", None),
            action(ActionKind::Replace, Kind::Connection, "C1", None),
            action(ActionKind::Delete, Kind::Connection, "C2", None),
            action(ActionKind::Create, Kind::DataStream, "S1", Some(stream("S1", "C1"))),
            action(
                ActionKind::Create,
                Kind::DataStream,
                "S2",
                Some(stream("S2", "Elsewhere")),
            ),
        ];
        let mut live = LiveSnapshot::default();
        let old = stream("Old_Stream", "C2");
        live.objects.insert(
            old.key(),
            LiveObject::new("1".into(), old, Vec::new(), crate::kinds::Unreported::default()),
        );
        let nodes = build(&actions, &live);
        // 0: delete Old_Stream, 1: delete C1, 2: create C1, 3: delete C2, 4: create S1, 5: create S2
        assert_eq!(nodes.len(), 6);
        assert_eq!(nodes[2].after, vec![1]);
        assert_eq!(nodes[3].after, vec![0]);
        assert_eq!(nodes[4].after, vec![2]);
        assert!(nodes[5].after.is_empty());
        let children = children(&nodes);
        assert_eq!(dependents(&children, 1), vec![2, 4]);
        assert!(dependents(&children, 5).is_empty());
    }
}
