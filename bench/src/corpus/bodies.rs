//! The request and response bodies by level and shape: pods, configmaps (decoys included),
//! leases, status patches, events, RBAC bindings, deployment patches, secret lists, reviews.

use super::json::{q, SecondsTimestamp, Timestamp};
use super::request::{Body, Request};
use super::values::{Level, APPS, APP_NAMESPACES, HUMANS, SECRETS};
use super::Generator;
use std::fmt::Write as _;

impl Generator {
    /// The request and response bodies for the request's level, bounded in size.
    pub(super) fn bodies(&mut self, r: &Request, done: u64) -> (Option<String>, Option<String>) {
        if r.level == Level::Metadata || r.body == Body::None || r.code >= 400 {
            return (None, None);
        }
        let ns = r.namespace.clone().unwrap_or_else(|| "default".into());
        let name = r
            .name
            .clone()
            .unwrap_or_else(|| format!("{}-{}", self.rng.pick(APPS), self.rng.kube_suffix(5)));
        let with_response = r.level == Level::RequestResponse;
        match r.body {
            Body::None => (None, None),
            Body::Pod => (Some(self.pod_body(&ns)), None),
            Body::ConfigMap | Body::DecoyConfigMap => {
                let decoy = r.body == Body::DecoyConfigMap;
                let data = self.configmap_data(decoy);
                let req = format!(
                    r#"{{"kind":"ConfigMap","apiVersion":"v1","metadata":{{"name":{},"namespace":{},"labels":{{"app.kubernetes.io/managed-by":"argocd","app.kubernetes.io/part-of":{}}}}},"data":{data}}}"#,
                    q(&name),
                    q(&ns),
                    q(self.rng.pick_str(APPS))
                );
                let resp = (with_response && req.len() < 1400).then(|| {
                    format!(
                        r#"{{"kind":"ConfigMap","apiVersion":"v1","metadata":{{"name":{},"namespace":{},"uid":"{}","resourceVersion":"{}","creationTimestamp":"{}"}},"data":{data}}}"#,
                        q(&name),
                        q(&ns),
                        self.rng.uuid(),
                        self.next_rv(),
                        SecondsTimestamp(done - self.rng.below(86_400_000_000))
                    )
                });
                (Some(req), resp)
            }
            Body::Lease => {
                let holder = format!("{name}_{}", self.rng.uuid());
                let spec = format!(
                    r#""spec":{{"holderIdentity":{},"leaseDurationSeconds":{},"acquireTime":"{}","renewTime":"{}","leaseTransitions":{}}}"#,
                    q(&holder),
                    self.rng.pick(&[15, 40, 60]),
                    Timestamp(done - 3_600_000_000),
                    Timestamp(done),
                    self.rng.below(12)
                );
                let rv = self.next_rv();
                let uid = self.rng.uuid();
                let meta = format!(
                    r#""metadata":{{"name":{},"namespace":{},"uid":"{uid}","resourceVersion":"{rv}","creationTimestamp":"{}"}}"#,
                    q(&name),
                    q(&ns),
                    SecondsTimestamp(done - 30 * 86_400_000_000)
                );
                let req = format!(
                    r#"{{"kind":"Lease","apiVersion":"coordination.k8s.io/v1",{meta},{spec}}}"#
                );
                let resp = with_response.then(|| {
                    format!(
                        r#"{{"kind":"Lease","apiVersion":"coordination.k8s.io/v1","metadata":{{"name":{},"namespace":{},"uid":"{uid}","resourceVersion":"{}","creationTimestamp":"{}","managedFields":[{{"manager":"kubelet","operation":"Update","apiVersion":"coordination.k8s.io/v1","time":"{}","fieldsType":"FieldsV1","fieldsV1":{{"f:spec":{{"f:holderIdentity":{{}},"f:leaseDurationSeconds":{{}},"f:renewTime":{{}}}}}}}}]}},{spec}}}"#,
                        q(&name),
                        q(&ns),
                        rv + 1,
                        SecondsTimestamp(done - 30 * 86_400_000_000),
                        SecondsTimestamp(done)
                    )
                });
                (Some(req), resp)
            }
            Body::NodeStatusPatch => {
                let t = SecondsTimestamp(done);
                let mut s = String::from(
                    r#"{"status":{"$setElementOrder/conditions":[{"type":"MemoryPressure"},{"type":"DiskPressure"},{"type":"PIDPressure"},{"type":"Ready"}],"conditions":["#,
                );
                for (i, c) in ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
                    .iter()
                    .enumerate()
                {
                    if i > 0 {
                        s.push(',');
                    }
                    let _ = write!(s, r#"{{"lastHeartbeatTime":"{t}","type":"{c}"}}"#);
                }
                s.push_str("]}}");
                (Some(s), None)
            }
            Body::PodStatusPatch => {
                let t = SecondsTimestamp(done);
                let s = format!(
                    r#"{{"metadata":{{"uid":"{}"}},"status":{{"$setElementOrder/conditions":[{{"type":"PodReadyToStartContainers"}},{{"type":"Initialized"}},{{"type":"Ready"}},{{"type":"ContainersReady"}},{{"type":"PodScheduled"}}],"conditions":[{{"lastTransitionTime":"{t}","status":"True","type":"Ready"}},{{"lastTransitionTime":"{t}","status":"True","type":"ContainersReady"}}],"containerStatuses":[{{"containerID":"containerd://{}","image":"registry.example.com/{}:1.4.2","imageID":"registry.example.com/{}@sha256:{}","lastState":{{}},"name":"app","ready":true,"restartCount":0,"started":true,"state":{{"running":{{"startedAt":"{t}"}}}}}}],"podIP":"10.1.{}.{}"}}}}"#,
                    self.rng.uuid(),
                    self.rng.hex(64),
                    self.rng.pick(APPS),
                    self.rng.pick(APPS),
                    self.rng.hex(64),
                    self.rng.range(0, 255),
                    self.rng.range(2, 254)
                );
                (Some(s), None)
            }
            Body::Event => {
                let pod = self.pod_name();
                let image = format!(
                    "registry.example.com/{}:1.{}.{}",
                    self.rng.pick(APPS),
                    self.rng.below(9),
                    self.rng.below(20)
                );
                let (reason, msg) = match self.rng.below(4) {
                    0 => ("Pulled", format!("Successfully pulled image \"{image}\" in 1.{}s (1.{}s including waiting)", self.rng.below(999), self.rng.below(999))),
                    1 => ("Created", "Created container app".to_string()),
                    2 => ("Started", "Started container app".to_string()),
                    _ => ("BackOff", format!("Back-off restarting failed container app in pod {pod}_{ns}({})", self.rng.uuid())),
                };
                let t = SecondsTimestamp(done);
                let node = self.rng.pick(&self.nodes).clone();
                let s = format!(
                    r#"{{"kind":"Event","apiVersion":"v1","metadata":{{"name":"{pod}.{}","namespace":{}}},"involvedObject":{{"kind":"Pod","namespace":{},"name":"{pod}","uid":"{}","apiVersion":"v1","resourceVersion":"{}","fieldPath":"spec.containers{{app}}"}},"reason":"{reason}","message":{},"source":{{"component":"kubelet","host":{}}},"firstTimestamp":"{t}","lastTimestamp":"{t}","count":1,"type":"{}","eventTime":null,"reportingComponent":"kubelet","reportingInstance":{}}}"#,
                    self.rng.hex(16),
                    q(&ns),
                    q(&ns),
                    self.rng.uuid(),
                    self.resource_version,
                    q(&msg),
                    q(&node),
                    if reason == "BackOff" {
                        "Warning"
                    } else {
                        "Normal"
                    },
                    q(&node)
                );
                (Some(s), None)
            }
            Body::RoleBinding => {
                let role = *self.rng.pick(&["edit", "view", "admin", "cluster-admin"]);
                let subject = *self.rng.pick(HUMANS);
                let kind = if r.res.is_some_and(|x| x.plural == "clusterrolebindings") {
                    "ClusterRoleBinding"
                } else {
                    "RoleBinding"
                };
                let body = format!(
                    r#"{{"kind":"{kind}","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{{"name":{}{}}},"subjects":[{{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":{}}}],"roleRef":{{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"{role}"}}}}"#,
                    q(&name),
                    if kind == "RoleBinding" {
                        format!(r#","namespace":{}"#, q(&ns))
                    } else {
                        String::new()
                    },
                    q(subject)
                );
                let resp = with_response.then(|| {
                    body.replacen(
                        r#""metadata":{"#,
                        &format!(
                            r#""metadata":{{"uid":"{}","resourceVersion":"{}","#,
                            self.rng.uuid(),
                            self.next_rv()
                        ),
                        1,
                    )
                });
                (Some(body), resp)
            }
            Body::DeploymentPatch => {
                let app = *self.rng.pick(APPS);
                let s = match self.rng.below(3) {
                    0 => format!(r#"{{"spec":{{"replicas":{}}}}}"#, self.rng.range(1, 12)),
                    1 => format!(
                        r#"{{"spec":{{"template":{{"spec":{{"containers":[{{"name":"{app}","image":"registry.example.com/{app}:1.{}.{}"}}]}}}}}}}}"#,
                        self.rng.below(9),
                        self.rng.below(30)
                    ),
                    _ => format!(
                        r#"{{"spec":{{"template":{{"metadata":{{"annotations":{{"kubectl.kubernetes.io/restartedAt":"{}"}}}}}}}}}}"#,
                        SecondsTimestamp(done)
                    ),
                };
                (Some(s), None)
            }
            Body::SecretMetadataList => {
                let mut s = format!(
                    r#"{{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{{"resourceVersion":"{}"}},"items":["#,
                    self.resource_version
                );
                for i in 0..self.rng.range(1, 4) {
                    if i > 0 {
                        s.push(',');
                    }
                    let n = self.object_name(SECRETS);
                    let _ = write!(
                        s,
                        r#"{{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{{"name":{},"namespace":{},"uid":"{}","resourceVersion":"{}","creationTimestamp":"{}","labels":{{"app.kubernetes.io/name":{}}}}}}}"#,
                        q(&n),
                        q(&ns),
                        self.rng.uuid(),
                        self.resource_version - self.rng.below(100_000),
                        SecondsTimestamp(done - self.rng.below(90 * 86_400_000_000)),
                        q(self.rng.pick_str(APPS))
                    );
                }
                s.push_str("]}");
                (None, Some(s))
            }
            Body::AccessReview => {
                let res = self.rng.pick(&["pods", "secrets", "deployments", "nodes"]);
                let s = format!(
                    r#"{{"kind":"SelfSubjectAccessReview","apiVersion":"authorization.k8s.io/v1","metadata":{{"creationTimestamp":null}},"spec":{{"resourceAttributes":{{"namespace":{},"verb":"{}","resource":"{res}"}}}},"status":{{"allowed":false}}}}"#,
                    q(&ns),
                    self.rng.pick(&["get", "list", "create", "delete"])
                );
                (Some(s), None)
            }
        }
    }

    fn configmap_data(&mut self, decoy: bool) -> String {
        let mut data = String::from("{");
        if decoy {
            let content = match self.rng.below(3) {
                0 => format!(
                    "{{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"verb\":\"get\",\"user\":{{\"username\":\"alice@example.com\"}},\"impersonatedUser\":{{\"username\":\"system:admin\",\"groups\":[\"system:masters\"]}},\"annotations\":{{\"authorization.k8s.io/decision\":\"allow\"}},\"auditID\":\"{}\"}}\n",
                    self.rng.uuid()
                ),
                1 => "- rule: impersonation of privileged users\n  condition: ka.verb in (get, list) and impersonatedUser.username startswith system:\n  output: user=%ka.user.name target=%impersonatedUser.username\n  priority: WARNING\n".to_string(),
                _ => "# Notes for the on-call: when an alert fires, read impersonatedUser.username and\n# impersonatedUser.groups from the raw audit event, then check who holds the\n# impersonate verb: kubectl get clusterroles -o json | jq '.items[] | select(.rules[].verbs[] == \"impersonate\")'\n".to_string(),
            };
            let _ = write!(data, r#""sample.json":{}"#, q(&content));
            data.push('}');
            return data;
        }
        let entries = self.rng.range(1, 4);
        for i in 0..entries {
            if i > 0 {
                data.push(',');
            }
            let (key, value) = match self.rng.below(5) {
                0 => ("app.yaml", format!(
                    "server:\n  port: {}\n  readTimeout: 30s\nlogging:\n  level: {}\nfeatures:\n  newCheckout: {}\n  searchV2: {}\n",
                    self.rng.range(8000, 9000),
                    self.rng.pick(&["info", "debug", "warn"]),
                    self.rng.chance(0.5),
                    self.rng.chance(0.5)
                )),
                1 => ("nginx.conf", format!(
                    "server {{\n  listen 80;\n  location / {{\n    proxy_pass http://{}:{};\n    proxy_set_header Host $host;\n  }}\n}}\n",
                    self.rng.pick(APPS),
                    self.rng.range(8000, 9000)
                )),
                2 => ("LOG_LEVEL", self.rng.pick(&["info", "debug", "warn"]).to_string()),
                3 => ("feature-flags.json", format!(
                    "{{\"newCheckout\":{},\"searchV2\":{},\"rolloutPercent\":{}}}",
                    self.rng.chance(0.5),
                    self.rng.chance(0.5),
                    self.rng.below(101)
                )),
                _ => ("DATABASE_URL", format!(
                    "postgres://{}.{}.svc.cluster.local:5432/app?sslmode=require",
                    self.rng.pick(APPS),
                    self.rng.pick_str(APP_NAMESPACES)
                )),
            };
            let _ = write!(data, "\"{key}\":{}", q(&value));
        }
        data.push('}');
        data
    }

    fn pod_body(&mut self, ns: &str) -> String {
        let app = *self.rng.pick(APPS);
        let hash = self.rng.kube_suffix(10);
        let image = format!(
            "registry.example.com/{app}:1.{}.{}",
            self.rng.below(9),
            self.rng.below(30)
        );
        let mut s = format!(
            r#"{{"kind":"Pod","apiVersion":"v1","metadata":{{"generateName":"{app}-{hash}-","namespace":{},"creationTimestamp":null,"labels":{{"app.kubernetes.io/name":"{app}","pod-template-hash":"{hash}"}},"ownerReferences":[{{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"{app}-{hash}","uid":"{}","controller":true,"blockOwnerDeletion":true}}]}},"spec":{{"volumes":[{{"name":"kube-api-access-{}","projected":{{"sources":[{{"serviceAccountToken":{{"expirationSeconds":3607,"path":"token"}}}},{{"configMap":{{"name":"kube-root-ca.crt","items":[{{"key":"ca.crt","path":"ca.crt"}}]}}}},{{"downwardAPI":{{"items":[{{"path":"namespace","fieldRef":{{"apiVersion":"v1","fieldPath":"metadata.namespace"}}}}]}}}}],"defaultMode":420}}}}],"containers":[{{"name":"{app}","image":"{image}","ports":[{{"name":"http","containerPort":8080,"protocol":"TCP"}}],"env":["#,
            q(ns),
            self.rng.uuid(),
            self.rng.kube_suffix(5)
        );
        const ENV: &[(&str, &str)] = &[
            ("LOG_LEVEL", "info"),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://otel-collector.monitoring:4317",
            ),
            ("JAVA_OPTS", "-XX:MaxRAMPercentage=75"),
            ("REGION", "eu-west-1"),
            ("FEATURE_FLAGS", "newCheckout,searchV2"),
        ];
        let first = self.rng.below(ENV.len() as u64) as usize;
        for i in 0..self.rng.range(1, 3) as usize {
            if i > 0 {
                s.push(',');
            }
            let (k, v) = ENV[(first + i) % ENV.len()];
            let _ = write!(s, r#"{{"name":"{k}","value":{}}}"#, q(v));
        }
        let _ = write!(
            s,
            r#"],"resources":{{"limits":{{"memory":"{}Mi"}},"requests":{{"cpu":"{}m","memory":"{}Mi"}}}},"volumeMounts":[{{"name":"kube-api-access","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}}],{}"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent","securityContext":{{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"runAsNonRoot":true}}}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"{app}","serviceAccount":"{app}","securityContext":{{"fsGroup":2000}},"schedulerName":"default-scheduler","tolerations":[{{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}},{{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"}},"status":{{}}}}"#,
            self.rng.pick(&[256, 512, 1024]),
            self.rng.pick(&[50, 100, 250]),
            self.rng.pick(&[128, 256, 512]),
            if self.rng.chance(0.5) {
                r#""livenessProbe":{"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},"#
            } else {
                ""
            }
        );
        s
    }
}
