//! servicemesh_internal through real Terraform against the local AWS: create, an empty
//! plan, updates, drift, settings made elsewhere, unowned namespaces, destroy.

use crate::support::emulator::{Emulator, Fault};
use crate::support::hcl::{Config, Mesh};
use crate::support::world::{
    self, CLUSTER, SERVERS, World, cloud_map_services, namespaces, primary_service_connect, seed,
};

/// main.tf with `mesh` and its endpoints as an output.
fn config(mesh: Mesh) -> String {
    Config::new().mesh(mesh).endpoints_output().to_string()
}

/// The seed's mesh: backend and orders serve, frontend calls.
fn seed_mesh(world: &World) -> Mesh {
    world.mesh(&SERVERS[..2])
}

#[tokio::test(flavor = "multi_thread")]
async fn creates_the_mesh_plans_empty_and_destroys_everything() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));

    let apply = dir.apply();
    assert!(
        apply.stdout.contains("backend.internal.myapp:8080"),
        "{apply}"
    );
    assert!(
        apply.stdout.contains("orders.internal.myapp:9090"),
        "{apply}"
    );
    dir.assert_no_changes();

    // The seed's step 5, read back from the API.
    let backend = primary_service_connect(&emulator, "backend")
        .await
        .expect("backend wired");
    assert!(backend.enabled());
    let entry = &backend.services()[0];
    assert_eq!(entry.port_name(), "backend-8080-tcp");
    assert_eq!(entry.discovery_name(), Some("backend"));
    assert_eq!(
        entry.client_aliases()[0].dns_name(),
        Some("backend.internal.myapp")
    );
    assert_eq!(entry.client_aliases()[0].port(), 8080);
    let frontend = primary_service_connect(&emulator, "frontend")
        .await
        .expect("frontend wired");
    assert!(
        frontend.enabled() && frontend.services().is_empty(),
        "client only"
    );
    assert!(namespaces(&emulator).await.contains_key("internal.myapp"));
    let mut discovery = cloud_map_services(&emulator).await;
    discovery.sort();
    assert_eq!(discovery, vec!["backend", "orders"]);

    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();
    assert!(
        namespaces(&emulator).await.is_empty(),
        "namespace left behind"
    );
    assert!(
        cloud_map_services(&emulator).await.is_empty(),
        "Cloud Map services left behind"
    );
    for service in ["backend", "orders", "frontend"] {
        let sc = primary_service_connect(&emulator, service).await;
        assert!(
            sc.is_none_or(|c| !c.enabled()),
            "{service} still has Service Connect"
        );
    }
}

async fn namespace_details(
    emulator: &Emulator,
    name: &str,
) -> (String, Option<String>, Vec<(String, String)>) {
    let id = namespaces(emulator)
        .await
        .get(name)
        .cloned()
        .expect("namespace exists");
    let cloudmap = emulator.cloudmap();
    let namespace = cloudmap
        .get_namespace()
        .id(&id)
        .send()
        .await
        .expect("GetNamespace");
    let namespace = namespace.namespace().expect("namespace").clone();
    let mut tags: Vec<(String, String)> = cloudmap
        .list_tags_for_resource()
        .resource_arn(namespace.arn().unwrap_or_default())
        .send()
        .await
        .expect("tags")
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    tags.sort();
    (id, namespace.description().map(str::to_string), tags)
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_services_description_and_tags_touching_only_what_changed() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    let before = seed_mesh(&world)
        .with(r#"description = "east-west traffic""#)
        .with(r#"tags        = { team = "platform" }"#);
    dir.write("main.tf", &config(before));
    dir.apply();

    let after = seed_mesh(&world)
        .without_server("backend")
        .server_with(
            "orders",
            "orders-9090-tcp",
            r#"discovery_name = "orders-api""#,
        )
        .server("payments", "payments-7070-tcp")
        // Only what changed; the redeploys a change of endpoints adds are rollouts.rs's.
        .with("redeploy_clients = false")
        .with(r#"description = "east-west traffic, v2""#)
        .with(r#"tags        = { team = "core", env = "prod" }"#);
    dir.write("main.tf", &config(after));
    emulator.reset_counters().await;
    let apply = dir.apply();
    assert!(
        apply.stdout.contains("orders-api.internal.myapp:9090"),
        "{apply}"
    );
    assert!(
        apply.stdout.contains("payments.internal.myapp:7070"),
        "{apply}"
    );
    // backend turned off, orders changed, payments added; frontend untouched.
    assert_eq!(emulator.counters().await.calls("ecs:UpdateService"), 3);
    dir.assert_no_changes();

    let backend = primary_service_connect(&emulator, "backend").await;
    assert!(
        backend.is_none_or(|c| !c.enabled()),
        "removed service still wired"
    );
    let orders = primary_service_connect(&emulator, "orders")
        .await
        .expect("orders wired");
    assert_eq!(orders.services()[0].discovery_name(), Some("orders-api"));
    assert_eq!(
        orders.services()[0].client_aliases()[0].dns_name(),
        Some("orders-api.internal.myapp")
    );
    let mut discovery = cloud_map_services(&emulator).await;
    discovery.sort();
    assert_eq!(
        discovery,
        vec!["orders-api", "payments"],
        "freed Cloud Map services are deleted"
    );
    let (_, description, tags) = namespace_details(&emulator, "internal.myapp").await;
    assert_eq!(description.as_deref(), Some("east-west traffic, v2"));
    assert_eq!(
        tags,
        vec![
            ("env".into(), "prod".into()),
            ("team".into(), "core".into())
        ]
    );

    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();
    assert!(namespaces(&emulator).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_made_elsewhere_survive_an_update() {
    use aws_sdk_ecs::types::{LogConfiguration, LogDriver, ServiceConnectConfiguration};
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    dir.apply();

    // Someone adds a log configuration in the console, keeping the rest.
    let current = primary_service_connect(&emulator, "backend")
        .await
        .expect("wired");
    let with_logs = ServiceConnectConfiguration::builder()
        .enabled(true)
        .set_namespace(current.namespace().map(str::to_string))
        .set_services(Some(current.services().to_vec()))
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", "/ecs/backend-proxy")
                .build()
                .expect("log configuration"),
        )
        .build();
    world::set_service_connect(&emulator, "backend", with_logs).await;
    dir.assert_no_changes();

    let changed =
        seed_mesh(&world).server_with("backend", "backend-8080-tcp", "idle_timeout_seconds = 120");
    dir.write("main.tf", &config(changed));
    dir.apply();
    let backend = primary_service_connect(&emulator, "backend")
        .await
        .expect("wired");
    assert_eq!(
        backend.services()[0]
            .timeout()
            .and_then(|t| t.idle_timeout_seconds()),
        Some(120)
    );
    let logs = backend.log_configuration().expect("log configuration kept");
    assert_eq!(
        logs.options()
            .and_then(|o| o.get("awslogs-group"))
            .map(String::as_str),
        Some("/ecs/backend-proxy")
    );
    dir.assert_no_changes();
}

/// An apply made right after its plan acts on that plan's refresh instead of reading the
/// services again (issue 18, `RecentRead`), but not when the change leaves a service alone:
/// that service may have changed since (here orders loses Service Connect between the plan
/// and the apply, as when another resource of the same apply replaces the ECS service), so
/// the apply reads again and wires it back rather than trusting the refresh.
#[tokio::test(flavor = "multi_thread")]
async fn a_service_changed_after_the_plan_is_read_again_and_wired_back() {
    use aws_sdk_ecs::types::ServiceConnectConfiguration;
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    dir.apply();

    let changed =
        seed_mesh(&world).server_with("backend", "backend-8080-tcp", "idle_timeout_seconds = 120");
    dir.write("main.tf", &config(changed));
    dir.run(&["plan", "-no-color", "-out=next.tfplan"])
        .success();
    let off = ServiceConnectConfiguration::builder()
        .enabled(false)
        .build();
    world::set_service_connect(&emulator, "orders", off).await;
    emulator.reset_counters().await;
    dir.run(&["apply", "-no-color", "next.tfplan"]).success();

    assert!(
        emulator.counters().await.calls("ecs:DescribeServices") > 0,
        "the services are read again"
    );
    let orders = primary_service_connect(&emulator, "orders").await;
    assert!(orders.is_some_and(|c| c.enabled()), "orders wired back");
    dir.assert_no_changes();
}

async fn set_backend_service_connect(
    emulator: &Emulator,
    edit: impl FnOnce(
        aws_sdk_ecs::types::ServiceConnectService,
    ) -> aws_sdk_ecs::types::ServiceConnectService,
) {
    use aws_sdk_ecs::types::ServiceConnectConfiguration;
    let current = primary_service_connect(emulator, "backend")
        .await
        .expect("wired");
    let service = edit(current.services()[0].clone());
    let config = ServiceConnectConfiguration::builder()
        .enabled(true)
        .set_namespace(current.namespace().map(str::to_string))
        .services(service)
        .build();
    world::set_service_connect(emulator, "backend", config).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_made_outside_terraform_shows_in_the_plan_and_apply_repairs_it() {
    use aws_sdk_ecs::types::{ServiceConnectClientAlias, ServiceConnectConfiguration};
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    dir.apply();

    // Discovery name changed in the console.
    set_backend_service_connect(&emulator, |mut s| {
        s.discovery_name = Some("renamed".into());
        s
    })
    .await;
    let plan = dir.assert_changes();
    assert!(plan.stdout.contains("renamed"), "{plan}");
    dir.apply();
    dir.assert_no_changes();

    // Port changed.
    set_backend_service_connect(&emulator, |mut s| {
        s.client_aliases = Some(vec![
            ServiceConnectClientAlias::builder()
                .port(9999)
                .dns_name("backend.internal.myapp")
                .build()
                .expect("alias"),
        ]);
        s
    })
    .await;
    let plan = dir.assert_changes();
    assert!(plan.stdout.contains("9999"), "{plan}");
    dir.apply();
    dir.assert_no_changes();

    // Service Connect turned off.
    world::set_service_connect(
        &emulator,
        "backend",
        ServiceConnectConfiguration::builder()
            .enabled(false)
            .build(),
    )
    .await;
    dir.assert_changes();
    dir.apply();
    dir.assert_no_changes();
    let backend = primary_service_connect(&emulator, "backend")
        .await
        .expect("wired again");
    assert!(backend.enabled());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_namespace_is_created_again() {
    use aws_sdk_ecs::types::ServiceConnectConfiguration;
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    dir.apply();

    // Someone tears the mesh down by hand: services off, Cloud Map services and namespace deleted.
    for service in ["backend", "orders", "frontend"] {
        world::set_service_connect(
            &emulator,
            service,
            ServiceConnectConfiguration::builder()
                .enabled(false)
                .build(),
        )
        .await;
    }
    let cloudmap = emulator.cloudmap();
    for service in cloudmap
        .list_services()
        .send()
        .await
        .expect("list")
        .services()
    {
        cloudmap
            .delete_service()
            .id(service.id().unwrap_or_default())
            .send()
            .await
            .expect("delete service");
    }
    let id = namespaces(&emulator).await["internal.myapp"].clone();
    cloudmap
        .delete_namespace()
        .id(&id)
        .send()
        .await
        .expect("delete namespace");
    emulator.finish_cloudmap_operations().await;

    let plan = dir.assert_changes();
    assert!(plan.output().contains("will be created"), "{plan}");
    dir.apply();
    dir.assert_no_changes();
    assert!(
        primary_service_connect(&emulator, "backend")
            .await
            .is_some_and(|c| c.enabled())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_ecs_service_is_dropped_with_a_warning() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    dir.apply();

    world::delete_service(&emulator, "orders").await;
    // Refresh drops it with a warning; the plan then wants to wire it again, and the
    // plan-time check says plainly that it does not exist (a warning: another resource
    // may create it again in the same apply).
    let plan = dir.run(&["plan", "-no-color"]);
    assert_eq!(plan.code, 0, "{plan}");
    let output = plan.output();
    assert!(output.contains("ECS service no longer exists"), "{output}");
    assert!(
        output.contains("Warning: ECS service not found (yet)"),
        "{output}"
    );
    assert!(
        output.contains("ECS service prod/orders does not exist"),
        "{output}"
    );
    assert!(
        output.contains("on main.tf line"),
        "the warning points at the configuration:\n{output}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wires_onto_an_existing_namespace_and_leaves_it_on_destroy() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let cloudmap = emulator.cloudmap();
    let operation = cloudmap
        .create_private_dns_namespace()
        .name("shared.myapp")
        .vpc(&world.vpc_id)
        .send()
        .await
        .expect("creating a namespace by hand");
    let _ = operation;
    emulator.finish_cloudmap_operations().await;
    let namespace_id = namespaces(&emulator).await["shared.myapp"].clone();

    let dir = world::workdir(&emulator);
    let mesh = Mesh::on_namespace_id(CLUSTER, &namespace_id)
        .server("backend", "backend-8080-tcp")
        .client("frontend");
    dir.write("main.tf", &Config::new().mesh(mesh).to_string());
    let apply = dir.apply();
    assert!(apply.stdout.contains("Apply complete"), "{apply}");
    dir.assert_no_changes();
    let backend = primary_service_connect(&emulator, "backend")
        .await
        .expect("wired");
    assert_eq!(
        backend.services()[0].client_aliases()[0].dns_name(),
        Some("backend.shared.myapp")
    );

    dir.run(&["destroy", "-auto-approve", "-no-color"])
        .success();
    assert_eq!(
        namespaces(&emulator).await.get("shared.myapp"),
        Some(&namespace_id),
        "namespace must stay"
    );
    assert!(
        cloud_map_services(&emulator).await.is_empty(),
        "what ECS made for our services is cleaned"
    );
    assert!(
        primary_service_connect(&emulator, "backend")
            .await
            .is_none_or(|c| !c.enabled())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_costs_one_namespace_read_one_tag_read_and_a_describe_per_ten_services() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let ecs = emulator.ecs();
    let mut mesh = Mesh::owned(CLUSTER, &world.vpc_id).with(r#"tags = { team = "platform" }"#);
    for i in 0..12 {
        let name = format!("svc{i:02}");
        let port_name = format!("{name}-80-tcp");
        world::create_service(&ecs, &name, &port_name, 80).await;
        mesh = mesh.server(&name, &port_name);
    }
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(mesh));
    dir.apply();

    emulator.reset_counters().await;
    dir.run(&["plan", "-no-color"]).success();
    let counters = emulator.counters().await;
    assert_eq!(counters.calls("servicediscovery:GetNamespace"), 1);
    assert_eq!(counters.calls("servicediscovery:ListTagsForResource"), 1);
    assert_eq!(
        counters.calls("ecs:DescribeServices"),
        2,
        "12 services: two batches of at most 10"
    );
    assert_eq!(
        counters.calls("ecs:UpdateService"),
        0,
        "a plan changes nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn waits_for_steady_state_when_asked() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    // A rollout finishes after 3 DescribeServices calls.
    emulator.set_drain_after_describes(3).await;
    let dir = world::workdir(&emulator);
    let waiting = |wait: bool| {
        seed_mesh(&world)
            .with(&format!("wait_for_steady_state = {wait}"))
            .with(r#"timeouts = { create = "2m" }"#)
    };
    dir.write("main.tf", &config(waiting(true)));
    dir.apply();
    for service in ["backend", "orders", "frontend"] {
        let deployments = world::describe(&emulator, service)
            .await
            .deployments()
            .len();
        assert_eq!(
            deployments, 1,
            "{service}: the old deployment must be gone when apply returns"
        );
    }

    // Without waiting, apply returns while the old deployment still runs.
    let changed =
        waiting(false).server_with("backend", "backend-8080-tcp", "idle_timeout_seconds = 30");
    dir.write("main.tf", &config(changed));
    dir.apply();
    let deployments = world::describe(&emulator, "backend")
        .await
        .deployments()
        .len();
    assert_eq!(deployments, 2, "the previous deployment is still draining");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cloud_map_service_still_in_use_is_left_with_a_warning_and_cleaned_later() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    dir.apply();

    // An old backend task is still registered in its Cloud Map service.
    let cloudmap = emulator.cloudmap();
    let listed = cloudmap.list_services().send().await.expect("services");
    let backend_id = listed
        .services()
        .iter()
        .find(|s| s.name() == Some("backend"))
        .and_then(|s| s.id())
        .expect("ECS made a Cloud Map service for backend")
        .to_string();
    cloudmap
        .register_instance()
        .service_id(&backend_id)
        .instance_id("old-task")
        .attributes("AWS_INSTANCE_IPV4", "10.0.0.10")
        .send()
        .await
        .expect("registering an instance");
    emulator.finish_cloudmap_operations().await;

    // Remove backend, with little time to wait for ECS to let go.
    let without_backend = seed_mesh(&world)
        .without_server("backend")
        .with(r#"timeouts = { update = "2s" }"#);
    dir.write("main.tf", &config(without_backend));
    let apply = dir.apply();
    let text = apply.flat_output();
    assert!(
        text.contains("Warning: Cloud Map service left behind"),
        "{apply}"
    );
    assert!(
        text.contains("ResourceInUse"),
        "AWS's reason is given:\n{apply}"
    );
    assert!(
        cloud_map_services(&emulator)
            .await
            .contains(&"backend".to_string())
    );

    // ECS lets go; the plan shows the clean-up as a change, with nothing else changed,
    // and the next apply finishes the job.
    cloudmap
        .deregister_instance()
        .service_id(&backend_id)
        .instance_id("old-task")
        .send()
        .await
        .expect("deregistering");
    emulator.finish_cloudmap_operations().await;
    // The leftover is a change.
    let plan = dir.assert_changes();
    let text = plan.flat_output();
    assert!(text.contains("1 to change"), "{plan}");
    assert!(text.contains("pending_cleanup"), "{plan}");
    assert!(text.contains("\"backend\""), "the plan names it:\n{plan}");
    let apply = dir.apply();
    assert!(!apply.output().contains("left behind"), "{apply}");
    assert!(
        !cloud_map_services(&emulator)
            .await
            .contains(&"backend".to_string()),
        "the leftover is deleted by the next apply"
    );
    dir.assert_no_changes();
}

/// Cloud Map answers DeleteService with 5xx while an update frees every discovery name:
/// the old services are left with a warning; once Cloud Map is back, the very next
/// plan shows the clean-up although the configuration did not change.
#[tokio::test(flavor = "multi_thread")]
async fn leftovers_from_an_outage_are_cleaned_by_the_very_next_apply() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    dir.apply();

    let renamed = seed_mesh(&world)
        .server_with(
            "backend",
            "backend-8080-tcp",
            r#"discovery_name = "backend-v2""#,
        )
        .server_with(
            "orders",
            "orders-9090-tcp",
            r#"discovery_name = "orders-v2""#,
        );
    // No retries: with the default 25, each DeleteService of the outage would be
    // retried for minutes before the warning.
    let renamed = Config::new().no_retries().mesh(renamed).endpoints_output();
    dir.write("main.tf", &renamed.to_string());
    emulator
        .inject_fault(Fault::server_error("servicediscovery:DeleteService"))
        .await;
    let apply = dir.apply();
    let text = apply.flat_output();
    assert!(
        text.contains("Warning: Cloud Map service left behind"),
        "{apply}"
    );
    assert!(text.contains("The next apply deletes it"), "{apply}");
    assert!(
        !text.contains(".. The next apply"),
        "one full stop after AWS's message:\n{apply}"
    );
    emulator.clear_faults().await;

    // Refresh alone deletes nothing.
    emulator.reset_counters().await;
    let plan = dir.assert_changes();
    assert_eq!(
        emulator
            .counters()
            .await
            .calls("servicediscovery:DeleteService"),
        0
    );
    let text = plan.flat_output();
    assert!(text.contains("1 to change"), "{plan}");
    assert!(
        text.contains("\"backend\"") && text.contains("\"orders\""),
        "{plan}"
    );

    dir.apply();
    let mut left = cloud_map_services(&emulator).await;
    left.sort();
    assert_eq!(left, ["backend-v2", "orders-v2"], "no leftover");
    dir.assert_no_changes();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_namespace_operation_reports_awss_code_and_message() {
    let emulator = Emulator::shared().await;
    let world = seed(&emulator).await;
    emulator
        .fail_next_namespace_operation(
            "CANNOT_CREATE_HOSTED_ZONE",
            "The VPC has no DNS support enabled",
        )
        .await;
    let dir = world::workdir(&emulator);
    dir.write("main.tf", &config(seed_mesh(&world)));
    let apply = dir.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(apply.code, 1, "{apply}");
    let text = apply.flat_output();
    assert!(
        text.contains("creating Cloud Map private DNS namespace internal.myapp in"),
        "verb, object and identifier:\n{apply}"
    );
    assert!(
        text.contains("CANNOT_CREATE_HOSTED_ZONE: The VPC has no DNS support enabled"),
        "AWS's code and message:\n{apply}"
    );
    assert_eq!(
        emulator.counters().await.calls("ecs:UpdateService"),
        0,
        "no service touched"
    );
    let state = dir.run(&["state", "list", "-no-color"]);
    assert!(state.stdout.trim().is_empty(), "nothing recorded: {state}");
}
