//! The authenticated callers: nodes, service accounts, control-plane components, humans,
//! EKS roles and the other cloud identities.

use super::json::{q, Esc};
use super::request::Caller;
use super::values::{ACCOUNT, HUMANS, HUMAN_GROUPS, K8S_COMMIT, K8S_VERSION, KUBECTL_AGENTS};
use super::Generator;

impl Generator {
    /// `user.extra` of a caller authenticated by a client certificate (Kubernetes ≥ 1.30).
    fn x509_extra(&mut self) -> String {
        format!(
            r#"{{"authentication.kubernetes.io/credential-id":["X509SHA256={}"]}}"#,
            self.rng.hex(64)
        )
    }

    pub(super) fn node_caller(&mut self) -> Caller {
        let node = self.rng.pick(&self.nodes).clone();
        let ip = node_ip(&node);
        Caller {
            username: format!("system:node:{node}"),
            uid: None,
            groups: vec!["system:nodes".into(), "system:authenticated".into()],
            extra: Some(self.x509_extra()),
            source_ips: vec![ip],
            user_agent: format!(
                "kubelet/{K8S_VERSION} (linux/amd64) kubernetes/{}",
                &K8S_COMMIT[..7]
            ),
        }
    }

    pub(super) fn service_account_caller(&mut self, ns: &str, name: &str, agent: &str) -> Caller {
        let node = self.rng.pick(&self.nodes).clone();
        let pod = format!(
            "{name}-{}-{}",
            self.rng.kube_suffix(10),
            self.rng.kube_suffix(5)
        );
        let extra = format!(
            r#"{{"authentication.kubernetes.io/credential-id":["JTI={}"],"authentication.kubernetes.io/node-name":[{}],"authentication.kubernetes.io/node-uid":["{}"],"authentication.kubernetes.io/pod-name":[{}],"authentication.kubernetes.io/pod-uid":["{}"]}}"#,
            self.rng.uuid(),
            q(&node),
            self.rng.uuid(),
            q(&pod),
            self.rng.uuid()
        );
        Caller {
            username: format!("system:serviceaccount:{ns}:{name}"),
            uid: Some(self.rng.uuid()),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{ns}"),
                "system:authenticated".into(),
            ],
            extra: Some(extra),
            source_ips: vec![format!(
                "10.1.{}.{}",
                self.rng.range(0, 255),
                self.rng.range(2, 254)
            )],
            user_agent: agent.to_string(),
        }
    }

    pub(super) fn control_plane_caller(&mut self, which: &str) -> Caller {
        let agent = match which {
            "system:kube-controller-manager" => format!(
                "kube-controller-manager/{K8S_VERSION} (linux/amd64) kubernetes/{}/leader-election",
                &K8S_COMMIT[..7]
            ),
            "system:kube-scheduler" => format!(
                "kube-scheduler/{K8S_VERSION} (linux/amd64) kubernetes/{}/scheduler",
                &K8S_COMMIT[..7]
            ),
            _ => format!(
                "kube-apiserver/{K8S_VERSION} (linux/amd64) kubernetes/{}",
                &K8S_COMMIT[..7]
            ),
        };
        let (uid, groups, ip) = if which == "system:apiserver" {
            (
                Some(self.rng.uuid()),
                vec![
                    "system:authenticated".to_string(),
                    "system:masters".to_string(),
                ],
                "::1".to_string(),
            )
        } else {
            (
                None,
                vec!["system:authenticated".to_string()],
                format!("10.0.0.{}", self.rng.range(10, 12)),
            )
        };
        let extra = (which != "system:apiserver").then(|| self.x509_extra());
        Caller {
            username: which.to_string(),
            uid,
            groups,
            extra,
            source_ips: vec![ip],
            user_agent: agent,
        }
    }

    pub(super) fn human_caller(&mut self) -> Caller {
        let user = *self.rng.pick(HUMANS);
        let groups = self
            .rng
            .pick(HUMAN_GROUPS)
            .iter()
            .map(|g| g.to_string())
            .collect();
        let ip = format!(
            "{}.{}",
            self.rng.pick(&["203.0.113", "198.51.100", "192.0.2"]),
            self.rng.range(2, 250)
        );
        let mut source_ips = vec![ip];
        if self.rng.chance(0.2) {
            source_ips.push(format!(
                "10.0.{}.{}",
                self.rng.range(0, 63),
                self.rng.range(2, 254)
            ));
        }
        Caller {
            username: user.to_string(),
            uid: None,
            groups,
            extra: Some(format!(
                r#"{{"authentication.kubernetes.io/credential-id":["JTI={}"],"oidc:iss":["https://login.example.com/realms/platform"]}}"#,
                self.rng.uuid()
            )),
            source_ips,
            user_agent: self.rng.pick(KUBECTL_AGENTS).to_string(),
        }
    }

    /// An EKS IAM role session (`arn:aws:sts::…:assumed-role/ROLE/SESSION`).
    pub(super) fn eks_role_caller(&mut self, role: &str, session: &str) -> Caller {
        let arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}");
        let principal = format!("AROA{}", self.rng.hex(17).to_uppercase());
        let extra = format!(
            r#"{{"accessKeyId":["ASIA{}"],"arn":[{}],"canonicalArn":["arn:aws:iam::{ACCOUNT}:role/{}"],"principalId":["{principal}"],"sessionName":[{}],"sigs.k8s.io/aws-iam-authenticator/principalId":["{principal}"]}}"#,
            self.rng.hex(16).to_uppercase(),
            q(&arn),
            Esc(role),
            q(session),
        );
        Caller {
            username: arn,
            uid: Some(format!("aws-iam-authenticator:{ACCOUNT}:{principal}")),
            groups: vec!["system:authenticated".into()],
            extra: Some(extra),
            source_ips: vec![format!(
                "10.0.{}.{}",
                self.rng.range(0, 63),
                self.rng.range(2, 254)
            )],
            user_agent: self
                .rng
                .pick(&[
                    "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64",
                    "kubectl/v1.30.2-eks-1552ad0 (linux/amd64) kubernetes/1552ad0",
                ])
                .to_string(),
        }
    }

    pub(super) fn cloud_caller(&mut self) -> Caller {
        match self.rng.below(10) {
            0..=3 => {
                let user = *self.rng.pick(&[
                    "eks:certificate-controller",
                    "eks:node-manager",
                    "eks:cloud-controller-manager",
                    "eks:pod-identity-mutating-webhook",
                    "eks:addon-manager",
                    "eks:k8s-metrics",
                    "eks:authenticator",
                ]);
                Caller {
                    username: user.to_string(),
                    uid: None,
                    groups: vec!["system:authenticated".into()],
                    extra: Some(self.x509_extra()),
                    source_ips: vec![format!(
                        "10.0.{}.{}",
                        self.rng.range(0, 63),
                        self.rng.range(2, 254)
                    )],
                    user_agent: format!("{}/v0.0.0 (linux/amd64) kubernetes/$Format", &user[4..]),
                }
            }
            4 => self.eks_role_caller("AWSServiceRoleForAmazonEKS", "EKS"),
            5 => self.eks_role_caller("AWSServiceRoleForAmazonEKSNodegroup", "EKS"),
            6 | 7 => {
                let session = self
                    .rng
                    .pick(HUMANS)
                    .split('@')
                    .next()
                    .unwrap_or("ops")
                    .to_string();
                let role = *self.rng.pick(&[
                    "PlatformAdmin",
                    "DevOpsRole",
                    "ReadOnlyAccess",
                    "ci-deploy-role",
                ]);
                self.eks_role_caller(role, &session)
            }
            _ => {
                let user = *self.rng.pick(&[
                    "aksService",
                    "aksService",
                    "masterclient",
                    "nodeclient",
                    "acsService",
                ]);
                let groups = if user == "nodeclient" {
                    vec!["system:nodes".into(), "system:authenticated".into()]
                } else {
                    vec!["system:masters".into(), "system:authenticated".into()]
                };
                Caller {
                    username: user.to_string(),
                    uid: None,
                    groups,
                    extra: Some(self.x509_extra()),
                    source_ips: vec![format!(
                        "172.31.{}.{}",
                        self.rng.range(0, 255),
                        self.rng.range(2, 254)
                    )],
                    user_agent: self
                        .rng
                        .pick(&[
                            "Go-http-client/2.0",
                            "aks-operator/v0.0.0 (linux/amd64) kubernetes/$Format",
                            "kube-apiserver-proxy/v1.30.4",
                        ])
                        .to_string(),
                }
            }
        }
    }
}

/// A node's IP from its `ip-10-0-A-B.ec2.internal` name.
fn node_ip(node: &str) -> String {
    node.trim_start_matches("ip-")
        .split('.')
        .next()
        .unwrap_or("10-0-0-1")
        .replace('-', ".")
}
