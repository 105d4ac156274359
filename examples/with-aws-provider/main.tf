# ECS services defined with the hashicorp/aws provider, wired together by
# servicemesh_internal. Each provider owns its part of aws_ecs_service:
#
#   * hashicorp/aws owns the service: task definition, desired count, networking;
#   * servicemesh owns its Service Connect configuration, so aws_ecs_service ignores
#     `service_connect_configuration`: without that, every `terraform apply` would have
#     the two providers take Service Connect away from each other.
#
# Checked for syntax and structure only (`terraform fmt -check` and a test that looks for
# the ignore_changes blocks, acceptance-tests/packaging.rs): the hashicorp/aws provider
# cannot be installed where this repository's tests run, so `terraform validate` is not
# run on it. See README.md.

terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    servicemesh = {
      source = "servicemesh/servicemesh"
    }
  }
}

provider "aws" {
  region = var.region
}

provider "servicemesh" {
  region = var.region
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "vpc_id" {
  description = "The VPC the services run in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the tasks."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the tasks: they must allow the services' ports between each other."
  type        = list(string)
}

variable "execution_role_arn" {
  description = "The task execution role (pulls images, writes logs)."
  type        = string
}

locals {
  # ECS service name => container port. The port mapping's `name` is the alias
  # Service Connect serves on.
  backends = {
    backend  = 8080
    orders   = 9090
    payments = 7070
  }
}

resource "aws_ecs_cluster" "prod" {
  name = "prod"
}

resource "aws_ecs_task_definition" "backend" {
  for_each = local.backends

  family                   = each.key
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = var.execution_role_arn

  container_definitions = jsonencode([{
    name      = "app"
    image     = "public.ecr.aws/nginx/nginx:latest"
    essential = true
    portMappings = [{
      name          = "${each.key}-${each.value}-tcp"
      containerPort = each.value
      protocol      = "tcp"
      appProtocol   = "http"
    }]
  }])
}

resource "aws_ecs_service" "backend" {
  for_each = local.backends

  name            = each.key
  cluster         = aws_ecs_cluster.prod.id
  task_definition = aws_ecs_task_definition.backend[each.key].arn
  desired_count   = 2
  launch_type     = "FARGATE"

  network_configuration {
    subnets         = var.subnet_ids
    security_groups = var.security_group_ids
  }

  # servicemesh_internal manages Service Connect on this service.
  lifecycle {
    ignore_changes = [service_connect_configuration]
  }
}

resource "aws_ecs_task_definition" "frontend" {
  family                   = "frontend"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = var.execution_role_arn

  container_definitions = jsonencode([{
    name      = "app"
    image     = "public.ecr.aws/nginx/nginx:latest"
    essential = true
    portMappings = [{
      name          = "frontend-3000-tcp"
      containerPort = 3000
      protocol      = "tcp"
    }]
  }])
}

resource "aws_ecs_service" "frontend" {
  name            = "frontend"
  cluster         = aws_ecs_cluster.prod.id
  task_definition = aws_ecs_task_definition.frontend.arn
  desired_count   = 2
  launch_type     = "FARGATE"

  network_configuration {
    subnets         = var.subnet_ids
    security_groups = var.security_group_ids
  }

  # servicemesh_internal manages Service Connect on this service.
  lifecycle {
    ignore_changes = [service_connect_configuration]
  }
}

resource "servicemesh_internal" "this" {
  cluster   = aws_ecs_cluster.prod.name
  namespace = "internal.myapp"
  vpc_id    = var.vpc_id

  # Keys are ECS service names; referencing the aws_ecs_service resources orders the
  # wiring after the services exist (and its removal before they are destroyed).
  services = {
    for name, service in aws_ecs_service.backend : service.name => {
      port_name = "${name}-${local.backends[name]}-tcp"
    }
  }
  client_services = [aws_ecs_service.frontend.name]

  wait_for_steady_state = true
}

output "endpoints" {
  value = servicemesh_internal.this.endpoints
}
