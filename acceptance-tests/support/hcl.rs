//! Test configurations, built one way: the provider under test, its provider block, a
//! `servicemesh_internal.mesh` and whatever else a test adds, rendered as main.tf.
//!
//! ```text
//! Config::new()
//!     .no_retries()
//!     .mesh(Mesh::owned(CLUSTER, &world.vpc_id).server("backend", "backend-8080-tcp"))
//! ```
//!
//! Tests whose point is the exact text of a line (the validation catalogue, diagnostics
//! placed on lines) keep writing that text themselves.

use std::fmt;

use super::terraform::PROVIDER_SOURCE;

/// The namespace an owned mesh creates.
pub const NAMESPACE: &str = "internal.myapp";

/// The `terraform { required_providers { … } }` block for test configurations.
pub fn required_providers() -> String {
    required_providers_block(None)
}

/// The `required_providers` block, with a version constraint if any.
fn required_providers_block(version: Option<&str>) -> String {
    let entry = match version {
        None => format!("source = \"{PROVIDER_SOURCE}\""),
        Some(version) => {
            format!("source  = \"{PROVIDER_SOURCE}\"\n      version = \"{version}\"")
        }
    };
    format!(
        "terraform {{\n  required_providers {{\n    servicemesh = {{\n      {entry}\n    }}\n  }}\n}}\n"
    )
}

/// The 1-based number of the first line of `text` (a configuration) that holds `needle`:
/// where a diagnostic about it should point.
#[track_caller]
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .map(|index| index + 1)
        .unwrap_or_else(|| panic!("{needle:?} is not in:\n{text}"))
}

/// An `import` block for `servicemesh_internal.mesh` with this id.
pub fn import_block(id: &str) -> String {
    format!("import {{\n  to = servicemesh_internal.mesh\n  id = \"{id}\"\n}}")
}

/// A `.tfquery.hcl` that lists every mesh of `cluster`, objects included (for
/// `terraform query -generate-config-out`).
pub fn list_all(cluster: &str) -> String {
    format!(
        "list \"servicemesh_internal\" \"all\" {{\n  provider         = servicemesh\n  include_resource = true\n  config {{\n    cluster = \"{cluster}\"\n  }}\n}}\n"
    )
}

/// A whole main.tf: `required_providers`, the provider block, other blocks, the mesh.
#[derive(Clone, Debug, Default)]
pub struct Config {
    version: Option<String>,
    provider: Vec<String>,
    blocks: Vec<String>,
    mesh: Option<Mesh>,
    endpoints_output: bool,
}

impl Config {
    /// The provider under test with an empty provider block: credentials, region and
    /// endpoints come from the environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires this version of the provider.
    pub fn version(mut self, constraint: &str) -> Self {
        self.version = Some(constraint.to_string());
        self
    }

    /// A provider that gives up at the first failure (`max_retries = 0`).
    pub fn no_retries(self) -> Self {
        self.provider("max_retries = 0")
    }

    /// Adds to the provider block, verbatim: `region = "us-east-1"`, or a nested block.
    pub fn provider(mut self, body: &str) -> Self {
        let body = body.trim_matches('\n');
        if !body.is_empty() {
            self.provider.push(body.to_string());
        }
        self
    }

    /// Adds a top-level block (import, moved, terraform_data…), verbatim, before the
    /// mesh.
    pub fn block(mut self, hcl: &str) -> Self {
        self.blocks.push(hcl.trim_matches('\n').to_string());
        self
    }

    /// The `servicemesh_internal.mesh` resource.
    pub fn mesh(mut self, mesh: Mesh) -> Self {
        self.mesh = Some(mesh);
        self
    }

    /// An `endpoints` output with the mesh's endpoints, which apply then prints.
    pub fn endpoints_output(mut self) -> Self {
        self.endpoints_output = true;
        self
    }
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", required_providers_block(self.version.as_deref()))?;
        if self.provider.is_empty() {
            writeln!(f, "provider \"servicemesh\" {{}}")?;
        } else {
            writeln!(f, "provider \"servicemesh\" {{")?;
            for body in &self.provider {
                write!(f, "{}", indented(body))?;
            }
            writeln!(f, "}}")?;
        }
        for block in &self.blocks {
            write!(f, "\n{block}\n")?;
        }
        if let Some(mesh) = &self.mesh {
            write!(f, "\n{mesh}")?;
        }
        if self.endpoints_output {
            write!(
                f,
                "\noutput \"endpoints\" {{\n  value = servicemesh_internal.mesh.endpoints\n}}\n"
            )?;
        }
        Ok(())
    }
}

/// The resource `servicemesh_internal.mesh`.
#[derive(Clone, Debug)]
pub struct Mesh {
    cluster: String,
    /// Which namespace: (attribute, value) pairs.
    namespace: Vec<(&'static str, String)>,
    /// `services` entries: name and what goes inside its braces.
    services: Vec<(String, String)>,
    clients: Vec<String>,
    /// Anything else, verbatim.
    rest: Vec<String>,
}

impl Mesh {
    /// In `cluster`, owning the namespace [`NAMESPACE`] it creates in `vpc_id`.
    pub fn owned(cluster: &str, vpc_id: &str) -> Self {
        Self::at(
            cluster,
            vec![
                ("namespace", NAMESPACE.to_string()),
                ("vpc_id", vpc_id.to_string()),
            ],
        )
    }

    /// In `cluster`, on the namespace `namespace_id` made elsewhere.
    pub fn on_namespace_id(cluster: &str, namespace_id: &str) -> Self {
        Self::at(cluster, vec![("namespace_id", namespace_id.to_string())])
    }

    fn at(cluster: &str, namespace: Vec<(&'static str, String)>) -> Self {
        Self {
            cluster: cluster.to_string(),
            namespace,
            services: Vec::new(),
            clients: Vec::new(),
            rest: Vec::new(),
        }
    }

    /// The same mesh in another cluster (a name or an ARN).
    pub fn in_cluster(mut self, cluster: &str) -> Self {
        self.cluster = cluster.to_string();
        self
    }

    /// The `services` entry `name = { port_name = "…" }`, in place of any entry of
    /// that name.
    pub fn server(self, name: &str, port_name: &str) -> Self {
        self.server_with(name, port_name, "")
    }

    /// [`Mesh::server`] with more attributes after `port_name`, verbatim:
    /// `discovery_name = "api"`.
    pub fn server_with(self, name: &str, port_name: &str, more: &str) -> Self {
        let mut entry = format!("port_name = \"{port_name}\"");
        if !more.is_empty() {
            entry.push_str(", ");
            entry.push_str(more);
        }
        self.entry(name, &entry)
    }

    /// The `services` entry `name = { … }` with this body, verbatim, in place of any
    /// entry of that name: `endpoints = { api = { port_name = "api-8080-tcp" } }`.
    pub fn entry(mut self, name: &str, body: &str) -> Self {
        match self.services.iter_mut().find(|(n, _)| n == name) {
            Some(existing) => existing.1 = body.to_string(),
            None => self.services.push((name.to_string(), body.to_string())),
        }
        self
    }

    /// A `services` entry for each (service, port name, container port) of the seed.
    pub fn servers(self, servers: &[(&str, &str, i32)]) -> Self {
        servers.iter().fold(self, |mesh, (name, port_name, _)| {
            mesh.server(name, port_name)
        })
    }

    /// Leaves the `services` entry `name` out.
    pub fn without_server(mut self, name: &str) -> Self {
        self.services.retain(|(n, _)| n != name);
        self
    }

    /// A `client_services` element.
    pub fn client(mut self, name: &str) -> Self {
        self.clients.push(name.to_string());
        self
    }

    /// Another attribute or block, verbatim: `tags = { team = "platform" }`.
    pub fn with(mut self, hcl: &str) -> Self {
        self.rest.push(hcl.trim_matches('\n').to_string());
        self
    }
}

impl fmt::Display for Mesh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "resource \"servicemesh_internal\" \"mesh\" {{")?;
        let head = std::iter::once(("cluster", &self.cluster))
            .chain(self.namespace.iter().map(|(name, value)| (*name, value)));
        let width = head.clone().map(|(name, _)| name.len()).max().unwrap_or(0);
        for (name, value) in head {
            writeln!(f, "  {name:width$} = \"{value}\"")?;
        }
        if !self.services.is_empty() {
            writeln!(f, "  services = {{")?;
            for (name, entry) in &self.services {
                writeln!(f, "    {name} = {{ {entry} }}")?;
            }
            writeln!(f, "  }}")?;
        }
        if !self.clients.is_empty() {
            let quoted: Vec<String> = self.clients.iter().map(|c| format!("\"{c}\"")).collect();
            writeln!(f, "  client_services = [{}]", quoted.join(", "))?;
        }
        for hcl in &self.rest {
            write!(f, "{}", indented(hcl))?;
        }
        writeln!(f, "}}")
    }
}

/// Each line of `text` two spaces further in.
fn indented(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}

#[test]
fn a_config_renders_as_terraform_reads_it() {
    let config = Config::new()
        .provider("max_retries = 0")
        .block("import {\n  to = servicemesh_internal.mesh\n  id = \"prod/ns-1\"\n}")
        .mesh(
            Mesh::owned("prod", "vpc-1")
                .server("backend", "backend-8080-tcp")
                .server("orders", "orders-9090-tcp")
                .server_with("backend", "backend-8080-tcp", "port = 8080")
                .client("frontend")
                .with("lifecycle {\n  create_before_destroy = true\n}"),
        )
        .endpoints_output();
    let expected = format!(
        "{}
provider \"servicemesh\" {{
  max_retries = 0
}}

import {{
  to = servicemesh_internal.mesh
  id = \"prod/ns-1\"
}}

resource \"servicemesh_internal\" \"mesh\" {{
  cluster   = \"prod\"
  namespace = \"internal.myapp\"
  vpc_id    = \"vpc-1\"
  services = {{
    backend = {{ port_name = \"backend-8080-tcp\", port = 8080 }}
    orders = {{ port_name = \"orders-9090-tcp\" }}
  }}
  client_services = [\"frontend\"]
  lifecycle {{
    create_before_destroy = true
  }}
}}

output \"endpoints\" {{
  value = servicemesh_internal.mesh.endpoints
}}
",
        required_providers()
    );
    assert_eq!(config.to_string(), expected);
}
