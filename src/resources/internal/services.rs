//! The `services` entries as Terraform holds them, and their translation to and from
//! the mesh domain.
//!
//! An entry is written in one of two forms: the short one for a service with one
//! endpoint (`port_name` and its settings on the entry, `discovery_name` defaulting to
//! the key), and `endpoints` for several, keyed by discovery name. The domain sees a
//! list of endpoints either way. The state keeps the form the configuration uses.
//!
//! TLS, proxy logs and access logs are managed only where the configuration sets them
//! (on the endpoint or entry, else mesh-wide): left out, what AWS has is kept; removed
//! from the configuration, it is removed from the service.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::mesh::model::{AccessLogSpec, EndpointSpec, LogSpec, Setting, TlsSpec, Wiring};
use crate::mesh::names::default_dns_name;
use crate::protocol::value::{Attr, AttributePath};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceModel {
    #[serde(default)]
    pub port_name: Attr<String>,
    #[serde(default)]
    pub discovery_name: Attr<String>,
    #[serde(default)]
    pub dns_name: Attr<String>,
    #[serde(default)]
    pub port: Attr<u16>,
    #[serde(default)]
    pub ingress_port_override: Attr<u16>,
    #[serde(default)]
    pub idle_timeout_seconds: Attr<u32>,
    #[serde(default)]
    pub per_request_timeout_seconds: Attr<u32>,
    #[serde(default)]
    pub tls: Attr<TlsModel>,
    /// The long form, keyed by discovery name.
    #[serde(default)]
    pub endpoints: Attr<BTreeMap<String, EndpointModel>>,
    #[serde(default)]
    pub log_configuration: Attr<LogModel>,
    #[serde(default)]
    pub access_log_configuration: Attr<AccessLogModel>,
}

/// One endpoint of the long form (its discovery name is its key).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EndpointModel {
    #[serde(default)]
    pub port_name: Attr<String>,
    #[serde(default)]
    pub dns_name: Attr<String>,
    #[serde(default)]
    pub port: Attr<u16>,
    #[serde(default)]
    pub ingress_port_override: Attr<u16>,
    #[serde(default)]
    pub idle_timeout_seconds: Attr<u32>,
    #[serde(default)]
    pub per_request_timeout_seconds: Attr<u32>,
    #[serde(default)]
    pub tls: Attr<TlsModel>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TlsModel {
    #[serde(default)]
    pub aws_pca_authority_arn: Attr<String>,
    #[serde(default)]
    pub kms_key: Attr<String>,
    #[serde(default)]
    pub role_arn: Attr<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LogModel {
    #[serde(default)]
    pub log_driver: Attr<String>,
    #[serde(default)]
    pub options: Attr<BTreeMap<String, Attr<String>>>,
    #[serde(default)]
    pub secret_options: Attr<Vec<SecretModel>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretModel {
    #[serde(default)]
    pub name: Attr<String>,
    #[serde(default)]
    pub value_from: Attr<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccessLogModel {
    #[serde(default)]
    pub format: Attr<String>,
    #[serde(default)]
    pub include_query_parameters: Attr<bool>,
}

fn optional<T: Clone>(value: &Option<T>) -> Attr<T> {
    value.clone().map_or(Attr::Null, Attr::Known)
}

impl TlsModel {
    pub fn spec(&self) -> Option<TlsSpec> {
        Some(TlsSpec {
            aws_pca_authority_arn: self.aws_pca_authority_arn.known()?.clone(),
            kms_key: self.kms_key.known().cloned(),
            role_arn: self.role_arn.known().cloned(),
        })
    }

    pub fn from_spec(spec: &TlsSpec) -> Self {
        Self {
            aws_pca_authority_arn: Attr::Known(spec.aws_pca_authority_arn.clone()),
            kms_key: optional(&spec.kms_key),
            role_arn: optional(&spec.role_arn),
        }
    }
}

impl LogModel {
    pub fn spec(&self) -> Option<LogSpec> {
        let secret_options = match &self.secret_options {
            Attr::Known(secrets) => secrets
                .iter()
                .map(|s| Some((s.name.known()?.clone(), s.value_from.known()?.clone())))
                .collect::<Option<Vec<_>>>()?,
            _ => Vec::new(),
        };
        let options = match &self.options {
            Attr::Known(options) => options
                .iter()
                .map(|(k, v)| Some((k.clone(), v.known()?.clone())))
                .collect::<Option<BTreeMap<_, _>>>()?,
            _ => BTreeMap::new(),
        };
        Some(LogSpec {
            log_driver: self.log_driver.known()?.clone(),
            options,
            secret_options,
        })
    }

    /// As AWS has it; an empty map or list is recorded as the configuration wrote it
    /// (`written`), since AWS does not tell an empty one from none.
    pub fn from_spec(spec: &LogSpec, written: Option<&LogModel>) -> Self {
        let options = if spec.options.is_empty() {
            written.map_or(Attr::Null, |w| w.options.clone())
        } else {
            Attr::Known(
                spec.options
                    .iter()
                    .map(|(k, v)| (k.clone(), Attr::Known(v.clone())))
                    .collect(),
            )
        };
        let secret_options = if spec.secret_options.is_empty() {
            written.map_or(Attr::Null, |w| w.secret_options.clone())
        } else {
            Attr::Known(
                spec.secret_options
                    .iter()
                    .map(|(name, value_from)| SecretModel {
                        name: Attr::Known(name.clone()),
                        value_from: Attr::Known(value_from.clone()),
                    })
                    .collect(),
            )
        };
        Self {
            log_driver: Attr::Known(spec.log_driver.clone()),
            options,
            secret_options,
        }
    }
}

impl AccessLogModel {
    pub fn spec(&self) -> Option<AccessLogSpec> {
        Some(AccessLogSpec {
            format: self.format.known()?.clone(),
            include_query_parameters: self.include_query_parameters.known().copied(),
        })
    }

    pub fn from_spec(spec: &AccessLogSpec, written: Option<&AccessLogModel>) -> Self {
        Self {
            format: Attr::Known(spec.format.clone()),
            // AWS's default is DISABLED: recorded as written when it is what AWS has.
            include_query_parameters: match (spec.include_query_parameters, written) {
                (None | Some(false), Some(w)) if w.include_query_parameters.is_null() => Attr::Null,
                (value, _) => optional(&value),
            },
        }
    }
}

/// The mesh-wide settings: what endpoints and services inherit when they set none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeshSettings {
    pub tls: Option<TlsSpec>,
    pub log: Option<LogSpec>,
    pub access_log: Option<AccessLogSpec>,
    pub idle_timeout_seconds: Option<u32>,
    /// Applied only to HTTP, HTTP/2 and gRPC ports.
    pub per_request_timeout_seconds: Option<u32>,
}

/// A setting from what is planned and what was in place before: set when planned,
/// removed when it was set before and no longer is, otherwise left to AWS.
pub fn setting<T>(planned: Option<T>, before: Option<T>) -> Setting<T> {
    match (planned, before) {
        (Some(value), _) => Setting::Set(value),
        (None, Some(_)) => Setting::Clear,
        (None, None) => Setting::Keep,
    }
}

impl EndpointModel {
    /// The endpoint, once its planned values are known; `tls` is decided by the caller
    /// (it depends on the mesh-wide setting and the prior state).
    pub fn spec(
        &self,
        discovery_name: &str,
        tls: Setting<TlsSpec>,
        mesh: &MeshSettings,
    ) -> Option<EndpointSpec> {
        let own_per_request = self.per_request_timeout_seconds.known().copied();
        Some(EndpointSpec {
            port_name: self.port_name.known()?.clone(),
            discovery_name: discovery_name.to_string(),
            dns_name: self.dns_name.known()?.clone(),
            port: self.port.known().copied(),
            ingress_port_override: self.ingress_port_override.known().copied(),
            idle_timeout_seconds: self
                .idle_timeout_seconds
                .known()
                .copied()
                .or(mesh.idle_timeout_seconds),
            per_request_timeout_seconds: own_per_request,
            inherited_per_request_timeout_seconds: own_per_request
                .is_none()
                .then_some(mesh.per_request_timeout_seconds)
                .flatten(),
            tls,
        })
    }

    /// The endpoint as AWS has it; its TLS is recorded only where `record_tls`. A
    /// timeout the endpoint does not write (`written`) and that is the mesh-wide one
    /// (or, per request, none: a TCP port) is inherited, and stays null.
    pub fn from_spec(
        spec: &EndpointSpec,
        record_tls: bool,
        written: Option<&EndpointModel>,
        record: &Record,
    ) -> Self {
        let inherits = |attr: fn(&EndpointModel) -> bool| written.is_some_and(attr);
        let idle = if inherits(|w| w.idle_timeout_seconds.is_null())
            && spec.idle_timeout_seconds == record.mesh_idle_timeout_seconds
        {
            Attr::Null
        } else {
            optional(&spec.idle_timeout_seconds)
        };
        let per_request = if inherits(|w| w.per_request_timeout_seconds.is_null())
            && (spec.per_request_timeout_seconds.is_none()
                || spec.per_request_timeout_seconds == record.mesh_per_request_timeout_seconds)
        {
            Attr::Null
        } else {
            optional(&spec.per_request_timeout_seconds)
        };
        Self {
            port_name: Attr::Known(spec.port_name.clone()),
            dns_name: Attr::Known(spec.dns_name.clone()),
            port: optional(&spec.port),
            ingress_port_override: optional(&spec.ingress_port_override),
            idle_timeout_seconds: idle,
            per_request_timeout_seconds: per_request,
            tls: match spec.tls.value() {
                Some(tls) if record_tls => Attr::Known(TlsModel::from_spec(tls)),
                _ => Attr::Null,
            },
        }
    }

    /// Clears the computed values the configuration (`written`) leaves out, unless
    /// their source is unchanged since `prior`: the DNS name is derived again, and the
    /// port read again when the port name changed.
    fn unset_defaults(&mut self, written: &EndpointModel, prior: Option<&EndpointModel>) {
        if written.dns_name.is_null() {
            self.dns_name = Attr::Null;
        }
        let same_port_name = prior.is_some_and(|p| p.port_name == self.port_name);
        if written.port.is_null() && !same_port_name {
            self.port = Attr::Null;
        }
    }

    /// The TLS this endpoint asks for: its own, else the mesh's.
    fn effective_tls(&self, mesh: &MeshSettings) -> Option<TlsSpec> {
        match &self.tls {
            Attr::Known(tls) => tls.spec(),
            _ => mesh.tls.clone(),
        }
    }

    /// Fills the DNS name the configuration leaves out: `<discovery>.<namespace>`
    /// (unknown while either is).
    fn with_default_dns(mut self, discovery: &Attr<String>, namespace: &Attr<String>) -> Self {
        if self.dns_name.is_null() {
            self.dns_name = match (discovery, namespace) {
                (Attr::Known(discovery), Attr::Known(namespace)) => {
                    Attr::Known(default_dns_name(discovery, namespace))
                }
                _ => Attr::Unknown,
            };
        }
        self
    }
}

impl ServiceModel {
    /// Whether the entry is written with `endpoints` (the long form).
    pub fn has_endpoint_map(&self) -> bool {
        !self.endpoints.is_null()
    }

    /// The short form's one endpoint.
    fn short_endpoint(&self) -> EndpointModel {
        EndpointModel {
            port_name: self.port_name.clone(),
            dns_name: self.dns_name.clone(),
            port: self.port.clone(),
            ingress_port_override: self.ingress_port_override.clone(),
            idle_timeout_seconds: self.idle_timeout_seconds.clone(),
            per_request_timeout_seconds: self.per_request_timeout_seconds.clone(),
            tls: self.tls.clone(),
        }
    }

    /// Every endpoint with its discovery name, whichever form the entry uses. Unknown
    /// endpoints (a map not known yet) give none.
    pub fn endpoint_list(&self) -> Vec<(Attr<String>, EndpointModel)> {
        match &self.endpoints {
            Attr::Known(endpoints) => endpoints
                .iter()
                .map(|(name, endpoint)| (Attr::Known(name.clone()), endpoint.clone()))
                .collect(),
            Attr::Unknown => Vec::new(),
            Attr::Null => vec![(self.discovery_name.clone(), self.short_endpoint())],
        }
    }

    /// Each endpoint's port attributes, for filling in ports found at plan time.
    pub fn endpoints_mut(&mut self) -> Vec<EndpointMut<'_>> {
        match &mut self.endpoints {
            Attr::Known(endpoints) => endpoints
                .iter_mut()
                .map(|(key, endpoint)| EndpointMut {
                    key: Some(key.as_str()),
                    port_name: &endpoint.port_name,
                    port: &mut endpoint.port,
                    per_request_timeout_seconds: &endpoint.per_request_timeout_seconds,
                })
                .collect(),
            Attr::Unknown => Vec::new(),
            Attr::Null => vec![EndpointMut {
                key: None,
                port_name: &self.port_name,
                port: &mut self.port,
                per_request_timeout_seconds: &self.per_request_timeout_seconds,
            }],
        }
    }

    /// The planned entry from Terraform's proposal: defaults follow what they derive
    /// from, and ports still to be read from the task definition are unknown.
    /// Terraform proposes the prior value for an unset optional+computed attribute, so
    /// a default whose source changed is derived again.
    pub fn plan_defaults(
        &mut self,
        key: &str,
        config: Option<&ServiceModel>,
        prior: Option<&ServiceModel>,
        namespace: &Attr<String>,
    ) {
        let Some(config) = config else {
            return;
        };
        if config.discovery_name.is_null() {
            self.discovery_name = Attr::Null;
        }
        let mut endpoint = self.short_endpoint();
        let prior_endpoint = prior.map(ServiceModel::short_endpoint);
        endpoint.unset_defaults(&config.short_endpoint(), prior_endpoint.as_ref());
        self.dns_name = endpoint.dns_name;
        self.port = endpoint.port;
        if let (Attr::Known(endpoints), Attr::Known(written)) =
            (&mut self.endpoints, &config.endpoints)
        {
            let prior_endpoints = prior.and_then(|p| p.endpoints.known());
            for (name, endpoint) in endpoints.iter_mut() {
                if let Some(written) = written.get(name) {
                    let before = prior_endpoints.and_then(|p| p.get(name));
                    endpoint.unset_defaults(written, before);
                }
            }
        }
        *self = std::mem::take(self).with_defaults(key, namespace);
        for endpoint in self.endpoints_mut() {
            if endpoint.port.is_null() && !endpoint.port_name.is_null() {
                // Resolved from the task definition at plan (checks) or apply.
                *endpoint.port = Attr::Unknown;
            }
        }
    }

    /// Derives the DNS names that waited for the namespace's name (at apply, once it
    /// is known).
    pub fn derive_dns_names(&mut self, key: &str, namespace: &Attr<String>) {
        if self.dns_name.is_unknown() {
            self.dns_name = Attr::Null;
        }
        if let Attr::Known(endpoints) = &mut self.endpoints {
            for endpoint in endpoints.values_mut() {
                if endpoint.dns_name.is_unknown() {
                    endpoint.dns_name = Attr::Null;
                }
            }
        }
        *self = std::mem::take(self).with_defaults(key, namespace);
    }

    /// Fills the defaults the configuration leaves out: in the short form the discovery
    /// name is the map key; every DNS name defaults to `<discovery>.<namespace>`. The
    /// long form leaves the short form's attributes null.
    pub fn with_defaults(mut self, key: &str, namespace: &Attr<String>) -> Self {
        if let Attr::Known(endpoints) = &mut self.endpoints {
            for (name, endpoint) in endpoints.iter_mut() {
                *endpoint = std::mem::take(endpoint)
                    .with_default_dns(&Attr::Known(name.clone()), namespace);
            }
        }
        if self.has_endpoint_map() {
            // Computed attributes of the short form: the plan may carry a prior short
            // form's values into them.
            self.discovery_name = Attr::Null;
            self.dns_name = Attr::Null;
            self.port = Attr::Null;
            return self;
        }
        if self.discovery_name.is_null() {
            self.discovery_name = Attr::Known(key.to_string());
        }
        let endpoint = self
            .short_endpoint()
            .with_default_dns(&self.discovery_name, namespace);
        self.dns_name = endpoint.dns_name;
        self
    }

    /// The service's log settings: its own, else the mesh's.
    pub fn effective_log(&self, mesh: &MeshSettings) -> Option<LogSpec> {
        match &self.log_configuration {
            Attr::Known(log) => log.spec(),
            _ => mesh.log.clone(),
        }
    }

    pub fn effective_access_log(&self, mesh: &MeshSettings) -> Option<AccessLogSpec> {
        match &self.access_log_configuration {
            Attr::Known(access_log) => access_log.spec(),
            _ => mesh.access_log.clone(),
        }
    }

    /// The TLS each endpoint asks for, by discovery name.
    pub fn effective_tls(&self, mesh: &MeshSettings) -> BTreeMap<String, Option<TlsSpec>> {
        self.endpoint_list()
            .into_iter()
            .filter_map(|(name, endpoint)| {
                Some((name.known()?.clone(), endpoint.effective_tls(mesh)))
            })
            .collect()
    }

    /// The wiring this entry asks for, once its planned values are known. `before` is
    /// what the same service asked for before this plan (its TLS by discovery name, its
    /// logs), so that a setting removed from the configuration is removed from AWS.
    pub fn wiring(&self, mesh: &MeshSettings, before: Option<&Before>) -> Option<Wiring> {
        let endpoints = self
            .endpoint_list()
            .into_iter()
            .map(|(name, endpoint)| {
                let name = name.known()?.clone();
                let tls_before = before.and_then(|b| b.tls.get(&name).cloned().flatten());
                let tls = setting(endpoint.effective_tls(mesh), tls_before);
                endpoint.spec(&name, tls, mesh)
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Wiring {
            endpoints,
            log: setting(self.effective_log(mesh), before.and_then(|b| b.log.clone())),
            access_log: setting(
                self.effective_access_log(mesh),
                before.and_then(|b| b.access_log.clone()),
            ),
        })
    }

    /// The entry as AWS has `wiring`, in the form `written` uses (the long form for
    /// several endpoints), recording TLS and logs where `record` says they are managed.
    pub fn observed(wiring: &Wiring, written: Option<&ServiceModel>, record: &Record) -> Self {
        let long =
            written.is_some_and(ServiceModel::has_endpoint_map) || wiring.endpoints.len() != 1;
        let written_log = written.and_then(|w| w.log_configuration.known());
        let written_access_log = written.and_then(|w| w.access_log_configuration.known());
        let mut model = ServiceModel {
            log_configuration: match wiring.log.value() {
                Some(log) if record.log => Attr::Known(LogModel::from_spec(log, written_log)),
                _ => Attr::Null,
            },
            access_log_configuration: match wiring.access_log.value() {
                Some(a) if record.access_log => {
                    Attr::Known(AccessLogModel::from_spec(a, written_access_log))
                }
                _ => Attr::Null,
            },
            ..ServiceModel::default()
        };
        let written_endpoints: BTreeMap<String, EndpointModel> = written
            .map(|w| {
                w.endpoint_list()
                    .into_iter()
                    .filter_map(|(name, e)| Some((name.known()?.clone(), e)))
                    .collect()
            })
            .unwrap_or_default();
        let endpoint_of = |spec: &EndpointSpec| {
            EndpointModel::from_spec(
                spec,
                record.tls.contains(&spec.discovery_name),
                written_endpoints.get(&spec.discovery_name),
                record,
            )
        };
        if long {
            model.endpoints = Attr::Known(
                wiring
                    .endpoints
                    .iter()
                    .map(|spec| (spec.discovery_name.clone(), endpoint_of(spec)))
                    .collect(),
            );
        } else if let Some(spec) = wiring.endpoints.first() {
            let endpoint = endpoint_of(spec);
            model.port_name = endpoint.port_name;
            model.discovery_name = Attr::Known(spec.discovery_name.clone());
            model.dns_name = endpoint.dns_name;
            model.port = endpoint.port;
            model.ingress_port_override = endpoint.ingress_port_override;
            model.idle_timeout_seconds = endpoint.idle_timeout_seconds;
            model.per_request_timeout_seconds = endpoint.per_request_timeout_seconds;
            model.tls = endpoint.tls;
        }
        model
    }

    /// Which settings of this entry are managed on the entry itself: its TLS by
    /// discovery name, its logs.
    pub fn managed_here(&self) -> Record {
        Record {
            tls: self
                .endpoint_list()
                .into_iter()
                .filter(|(_, endpoint)| !endpoint.tls.is_null())
                .filter_map(|(name, _)| name.known().cloned())
                .collect(),
            log: !self.log_configuration.is_null(),
            access_log: !self.access_log_configuration.is_null(),
            ..Record::default()
        }
    }
}

/// One endpoint's port attributes; `key` is its key in `endpoints` (none in the short
/// form).
pub struct EndpointMut<'a> {
    pub key: Option<&'a str>,
    pub port_name: &'a Attr<String>,
    pub port: &'a mut Attr<u16>,
    pub per_request_timeout_seconds: &'a Attr<u32>,
}

impl EndpointMut<'_> {
    /// Where it is written, as messages show it: `services["api"].endpoints["api-grpc"]`.
    pub fn label(&self, service: &str) -> String {
        match self.key {
            Some(key) => format!("services[\"{service}\"].endpoints[\"{key}\"]"),
            None => format!("services[\"{service}\"]"),
        }
    }

    pub fn path(&self, service: &str) -> AttributePath {
        let path = AttributePath::root().attribute("services").key(service);
        match self.key {
            Some(key) => path.attribute("endpoints").key(key),
            None => path,
        }
    }
}

/// Which settings a refresh records on an entry (the others stay null: left to AWS,
/// or inherited from the mesh).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// Discovery names whose TLS is recorded.
    pub tls: std::collections::BTreeSet<String>,
    pub log: bool,
    pub access_log: bool,
    /// The mesh-wide timeouts, which endpoints that write none inherit.
    pub mesh_idle_timeout_seconds: Option<u32>,
    pub mesh_per_request_timeout_seconds: Option<u32>,
}

impl Record {
    /// With the mesh-wide timeouts the endpoints inherit.
    pub fn with_mesh(mut self, mesh: &MeshSettings) -> Self {
        self.mesh_idle_timeout_seconds = mesh.idle_timeout_seconds;
        self.mesh_per_request_timeout_seconds = mesh.per_request_timeout_seconds;
        self
    }

    /// Every setting `wiring` has (an import: nothing is inherited yet).
    pub fn everything(wiring: &Wiring) -> Self {
        Self {
            tls: wiring.discovery_names().map(str::to_string).collect(),
            log: true,
            access_log: true,
            ..Self::default()
        }
    }
}

/// What one service asked for before a plan: its endpoints' TLS and its logs, as the
/// prior state says (own or mesh-wide).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Before {
    pub tls: BTreeMap<String, Option<TlsSpec>>,
    pub log: Option<LogSpec>,
    pub access_log: Option<AccessLogSpec>,
}

/// `dns:port` per discovery name, unknown where either part is; the whole map is
/// unknown while a discovery name (a key) is.
pub fn endpoints_of(
    services: &Attr<BTreeMap<String, ServiceModel>>,
) -> Attr<BTreeMap<String, Attr<String>>> {
    let Attr::Known(services) = services else {
        return match services {
            Attr::Unknown => Attr::Unknown,
            _ => Attr::Known(BTreeMap::new()),
        };
    };
    let mut out = BTreeMap::new();
    for service in services.values() {
        if service.endpoints.is_unknown() {
            return Attr::Unknown;
        }
        for (name, endpoint) in service.endpoint_list() {
            let Attr::Known(name) = name else {
                return Attr::Unknown;
            };
            let address = match (&endpoint.dns_name, &endpoint.port) {
                (Attr::Known(dns), Attr::Known(port)) => Attr::Known(format!("{dns}:{port}")),
                _ => Attr::Unknown,
            };
            out.insert(name, address);
        }
    }
    Attr::Known(out)
}
