//! One run of one org for `d360 watch`, as far as the command layer goes: the manifests read
//! again (each problem reported with its file and line, for `/status`, before AWS is asked
//! anything) and the org opened as `plan` and `apply` open it, then the reconcile stage
//! ([`crate::watch::reconcile`]). A remote org's session (its login, and what adaptive
//! concurrency learnt) is kept between runs that went well; the `local` org's emulator runs
//! for the run only, so other commands on it are not kept waiting between runs. This moves
//! into the watch stage once sessions and manifest loading are library stages.

use std::path::PathBuf;
use std::sync::Arc;

use super::session::{self, Session};
use super::{CliError, GlobalArgs, diagnostics, manifests, planning};
use crate::api::RetrySettings;
use crate::config::OrgSelection;
use crate::model::SetVersion;
use crate::output;
use crate::watch::{self, NotKeptLog, ReconcileOptions, Run, Shared};

/// What every run of one org needs.
pub(super) struct Context {
    org: String,
    selection: OrgSelection,
    paths: Vec<PathBuf>,
    /// How each run loads manifests: for this org, fetching AWS inventories and secrets.
    load: manifests::Load,
    options: ReconcileOptions,
    shared: Arc<Shared>,
    /// The session of the last run, when it can serve the next.
    session: tokio::sync::Mutex<Option<Session>>,
    logged: NotKeptLog,
    /// Why promotion held the last run's heal back, as said on stderr.
    held_said: tokio::sync::Mutex<Option<String>>,
}

impl Context {
    pub(super) fn new(
        org: &str,
        selection: OrgSelection,
        paths: &[PathBuf],
        global: &GlobalArgs,
        options: &ReconcileOptions,
        shared: &Arc<Shared>,
    ) -> Self {
        Self {
            org: org.to_owned(),
            selection,
            paths: paths.to_vec(),
            load: global.manifests_for(
                Some(org),
                manifests::Aws::Secrets {
                    parallelism: usize::from(global.aws_parallelism),
                },
            ),
            options: options.clone(),
            shared: Arc::clone(shared),
            session: tokio::sync::Mutex::new(None),
            logged: NotKeptLog::default(),
            held_said: tokio::sync::Mutex::new(None),
        }
    }

    /// One run; what stopped it, as its error.
    pub(super) async fn run(&self) -> Run {
        attempt(self).await.unwrap_or_else(|error| failed(&error))
    }
}

/// A run that could not start or finish: its error as text (already free of secrets).
fn failed(error: &CliError) -> Run {
    let mut text = output::chain(error);
    if let CliError::Api(api) = error
        && let Some(hint) = api.hint()
    {
        text.push_str(&format!(" (hint: {hint})"));
    }
    Run {
        finding: None,
        error: Some(text),
        retries: 0,
    }
}

/// Why promotion holds this run's heal back, as `apply` would refuse it (said on stderr when
/// the reason changes); `None` without `--heal` or `promoteFrom`, or when in step.
async fn heal_held(context: &Context, set: &SetVersion) -> Option<String> {
    context.options.heal.as_ref()?;
    let config = context.load.config.as_deref();
    let held = match super::planning::check_promotion(&context.selection, Some(set), false, config).await {
        Ok(_) => None,
        Err(error) => Some(output::chain(&error)),
    };
    let mut said = context.held_said.lock().await;
    if held != *said {
        match &held {
            Some(reason) => output::message(&format!("watch: org `{}`: not healing: {reason}", context.org)),
            None if said.is_some() => output::message(&format!(
                "watch: org `{}`: healing again: the org it promotes from is in step",
                context.org
            )),
            None => {}
        }
        said.clone_from(&held);
    }
    held
}

/// The manifests, the session, then the reconcile.
async fn attempt(context: &Context) -> Result<Run, CliError> {
    let checked = manifests::load_quiet(&context.paths, &context.load.org_values()?)?;
    if checked.diagnostics.has_errors() {
        diagnostics::print(&checked);
        return Err(CliError::Reported(diagnostics::failure_detail(&checked)));
    }
    let loaded = manifests::load(&context.paths, context.load.clone()).await?;
    planning::refuse_empty(&context.paths, &loaded, &context.options.plan)?;
    let mut kept = context.session.lock().await;
    let session = if let Some(session) = kept.take() {
        session
    } else {
        let mut session = session::open_selected(context.selection.clone(), RetrySettings::from_env()).await?;
        let (shared, org) = (Arc::clone(&context.shared), context.org.clone());
        session.client.on_answer(Arc::new(move |method, code| {
            shared.metrics.answered(&org, method, code);
        }));
        session
    };
    let org = watch::Org {
        name: &context.org,
        client: &session.client,
        store: &session.store,
    };
    let set = manifests::set_version(&context.paths, &loaded);
    let desired = watch::Desired {
        resources: &loaded.resources,
        set: Some(&set),
        heal_held: heal_held(context, &set).await,
    };
    let run = watch::reconcile(&org, &desired, &context.options, &context.logged)
        .await
        .unwrap_or_else(|error| Run {
            finding: None,
            error: Some(error.describe()),
            retries: 0,
        });
    // A failed run starts afresh next time: a new login, and a spent daily allowance (which
    // stops a client for good) tried again.
    let keep = matches!(context.selection, OrgSelection::Remote(_))
        && run.succeeded()
        && !session.client.stats().daily_limit_spent;
    if keep {
        *kept = Some(session);
    } else {
        session.close().await;
    }
    Ok(run)
}
