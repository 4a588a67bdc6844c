//! Rendering a request as one audit event line: URI, user, impersonation, object reference,
//! response status, bodies, timestamps and annotations.

use super::json::{q, str_array, Timestamp};
use super::request::Request;
use super::values::Level;
use super::{Generator, MAX_EVENT_BYTES};
use std::fmt::Write as _;

impl Generator {
    fn uri(&self, r: &Request) -> String {
        if let Some(p) = r.path {
            return format!("{p}{}", r.query);
        }
        let res = r.res.expect("resource request");
        let mut s = if res.group.is_empty() {
            format!("/api/{}", res.version)
        } else {
            format!("/apis/{}/{}", res.group, res.version)
        };
        if let Some(ns) = &r.namespace {
            let _ = write!(s, "/namespaces/{ns}");
        }
        let _ = write!(s, "/{}", res.plural);
        if let Some(n) = &r.name {
            if r.verb != "create" || r.subresource.is_some() {
                let _ = write!(s, "/{n}");
            }
        }
        if let Some(sub) = r.subresource {
            let _ = write!(s, "/{sub}");
        }
        s.push_str(&r.query);
        s
    }

    pub(super) fn render(
        &mut self,
        out: &mut String,
        r: &Request,
        stage: &str,
        audit_id: &str,
        received: u64,
        done: u64,
    ) {
        let line_start = out.len();
        self.render_with(out, r, stage, audit_id, received, done, true);
        if out.len() - line_start > MAX_EVENT_BYTES + 1 {
            // Too big with its bodies: log it as a policy would at level Metadata.
            out.truncate(line_start);
            self.render_with(out, r, stage, audit_id, received, done, false);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn render_with(
        &mut self,
        out: &mut String,
        r: &Request,
        stage: &str,
        audit_id: &str,
        received: u64,
        done: u64,
        with_bodies: bool,
    ) {
        let (req_body, resp_body) = if stage == "RequestReceived" || !with_bodies {
            (None, None)
        } else {
            self.bodies(r, done)
        };
        let level = if with_bodies {
            r.level
        } else {
            Level::Metadata
        };
        let _ = write!(
            out,
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"{}","auditID":"{audit_id}","stage":"{stage}","requestURI":{},"verb":"{}","user":{{"username":{}"#,
            level.as_str(),
            q(&self.uri(r)),
            r.verb,
            q(&r.caller.username),
        );
        if let Some(uid) = &r.caller.uid {
            let _ = write!(out, r#","uid":{}"#, q(uid));
        }
        let _ = write!(out, r#","groups":{}"#, str_array(&r.caller.groups));
        if let Some(extra) = &r.caller.extra {
            let _ = write!(out, r#","extra":{extra}"#);
        }
        out.push('}');
        if stage != "RequestReceived" {
            if let Some((user, groups)) = &r.impersonated {
                let _ = write!(
                    out,
                    r#","impersonatedUser":{{"username":{},"groups":{}}}"#,
                    q(user),
                    str_array(groups)
                );
            }
        }
        let _ = write!(
            out,
            r#","sourceIPs":{},"userAgent":{}"#,
            str_array(&r.caller.source_ips),
            q(&r.caller.user_agent)
        );
        if let Some(res) = r.res {
            let _ = write!(out, r#","objectRef":{{"resource":"{}""#, res.plural);
            if let Some(ns) = &r.namespace {
                let _ = write!(out, r#","namespace":{}"#, q(ns));
            }
            if let Some(n) = &r.name {
                let _ = write!(out, r#","name":{}"#, q(n));
            }
            if !res.group.is_empty() {
                let _ = write!(out, r#","apiGroup":"{}""#, res.group);
            }
            let _ = write!(out, r#","apiVersion":"{}""#, res.version);
            if let Some(sub) = r.subresource {
                let _ = write!(out, r#","subresource":"{sub}""#);
            }
            out.push('}');
        }
        if stage != "RequestReceived" {
            out.push_str(r#","responseStatus":{"metadata":{}"#);
            match r.code {
                403 => {
                    let what = r.res.map_or("", |x| x.plural);
                    let user = r
                        .impersonated
                        .as_ref()
                        .map_or(&r.caller.username, |(u, _)| u);
                    let group = r.res.map_or("", |x| x.group);
                    let scope = match &r.namespace {
                        Some(ns) => format!(" in the namespace \"{ns}\""),
                        None => " at the cluster scope".into(),
                    };
                    let msg = format!(
                        "{what} is forbidden: User \"{user}\" cannot {} resource \"{what}\" in API group \"{group}\"{scope}",
                        r.verb
                    );
                    let _ = write!(
                        out,
                        r#","status":"Failure","message":{},"reason":"Forbidden","details":{{"kind":"{what}"}},"code":403}}"#,
                        q(&msg)
                    );
                }
                404 => {
                    let what = r.res.map_or("", |x| x.plural);
                    let name = r.name.as_deref().unwrap_or("");
                    let msg = format!("{what} \"{name}\" not found");
                    let _ = write!(
                        out,
                        r#","status":"Failure","message":{},"reason":"NotFound","details":{{"name":{},"kind":"{what}"}},"code":404}}"#,
                        q(&msg),
                        q(name)
                    );
                }
                409 => {
                    let what = r.res.map_or("", |x| x.plural);
                    let name = r.name.as_deref().unwrap_or("");
                    let msg = format!(
                        "Operation cannot be fulfilled on {what} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
                    );
                    let _ = write!(
                        out,
                        r#","status":"Failure","message":{},"reason":"Conflict","details":{{"name":{},"kind":"{what}"}},"code":409}}"#,
                        q(&msg),
                        q(name)
                    );
                }
                code => {
                    let _ = write!(out, r#","code":{code}}}"#);
                }
            }
            if let Some(b) = &req_body {
                let _ = write!(out, r#","requestObject":{b}"#);
            }
            if let Some(b) = &resp_body {
                let _ = write!(out, r#","responseObject":{b}"#);
            }
        }
        let _ = write!(
            out,
            r#","requestReceivedTimestamp":"{}","stageTimestamp":"{}""#,
            Timestamp(received),
            Timestamp(if stage == "RequestReceived" {
                received
            } else {
                done
            })
        );
        if stage != "RequestReceived" {
            let decision = if r.allowed { "allow" } else { "forbid" };
            let _ = write!(
                out,
                r#","annotations":{{"authorization.k8s.io/decision":"{decision}","authorization.k8s.io/reason":{}"#,
                q(&r.reason)
            );
            if r.res.is_some_and(|x| x.plural == "pods")
                && r.verb == "create"
                && r.subresource.is_none()
            {
                out.push_str(r#","pod-security.kubernetes.io/enforce-policy":"baseline:latest""#);
                if self.rng.chance(0.3) {
                    let _ = write!(
                        out,
                        r#","mutation.webhook.admission.k8s.io/round_0_index_0":{}"#,
                        q(
                            r#"{"configuration":"pod-identity-webhook","webhook":"iam-for-pods.amazonaws.com","mutated":false}"#
                        )
                    );
                }
            }
            for (k, v) in &r.annotations {
                let _ = write!(out, r#",{}:{}"#, q(k), q(v));
            }
            out.push('}');
        }
        out.push('}');
        out.push('\n');
    }
}
