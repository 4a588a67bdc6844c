//! The flagship gives identical verdicts on the raw and ECS forms of the same events: the ECS
//! field mapping (`pipelines/kubernetes-ecs.yml`) is applied at generation time.

mod common;

use detections::runtime::{Event, Shape};

const FLAGSHIP: &str = "3f0b6d1e-7c42-4a8e-9d5b-2e61c8a9f470";

/// Per event, per rule (in rule order): whether it matches.
fn verdicts_per_rule(path: &std::path::Path, shape: Shape) -> Vec<Vec<bool>> {
    let text = std::fs::read_to_string(path).expect("readable");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let ev = Event::parse_bytes_as(l.as_bytes(), shape).expect("valid event");
            detections::RULES
                .rules
                .iter()
                .map(|r| (r.matches)(&ev))
                .collect()
        })
        .collect()
}

/// Per event: whether the flagship matches.
fn verdicts(path: &std::path::Path, shape: Shape) -> Vec<bool> {
    let i = detections::RULES
        .rules
        .iter()
        .position(|r| r.info.id == FLAGSHIP)
        .expect("the flagship rule");
    verdicts_per_rule(path, shape)
        .into_iter()
        .map(|v| v[i])
        .collect()
}

#[test]
fn raw_and_ecs_forms_of_the_synthetic_cases_agree() {
    if common::other_rule_set() {
        return;
    }
    let Some(shared) = common::shared() else {
        return;
    };
    let raw = verdicts(
        &shared.join("data/synthetic/flagship_cases.ndjson"),
        Shape::Raw,
    );
    let ecs = verdicts(
        &shared.join("data/synthetic/flagship_cases_ecs.ndjson"),
        Shape::Ecs,
    );
    assert_eq!(raw.len(), 20);
    assert_eq!(raw.iter().filter(|m| **m).count(), 6, "{raw:?}");
    assert_eq!(raw, ecs);
    // Every other shipped rule agrees on both forms too.
    assert_eq!(
        verdicts_per_rule(
            &shared.join("data/synthetic/flagship_cases.ndjson"),
            Shape::Raw
        ),
        verdicts_per_rule(
            &shared.join("data/synthetic/flagship_cases_ecs.ndjson"),
            Shape::Ecs
        )
    );
}

#[test]
fn an_ecs_document_read_as_raw_does_not_match() {
    if common::other_rule_set() {
        return;
    }
    let Some(shared) = common::shared() else {
        return;
    };
    // The mapping is what makes ECS documents match: read with raw names, nothing does.
    let as_raw = verdicts(
        &shared.join("data/synthetic/flagship_cases_ecs.ndjson"),
        Shape::Raw,
    );
    assert!(as_raw.iter().all(|m| !m));
}
