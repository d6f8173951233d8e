package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
)

// functionNetwork places the step Lambdas in the configured VPC's private
// subnets, behind one security group that lets them reach HTTPS endpoints
// (the Datadog API and the AWS APIs) and nothing else.
type functionNetwork struct {
	vpc           awsec2.IVpc
	subnets       []awsec2.ISubnet
	securityGroup awsec2.SecurityGroup
}

// newFunctionNetwork returns nil when the config has no VPC. The VPC is
// referenced by id rather than looked up, so synth needs no AWS credentials.
func (s *rotationStack) newFunctionNetwork() *functionNetwork {
	if s.cfg.VPC == nil {
		return nil
	}
	vpc := awsec2.Vpc_FromVpcAttributes(s.stack, jsii.String("Vpc"), &awsec2.VpcAttributes{
		VpcId: jsii.String(s.cfg.VPC.ID),
		// The subnets are given to the functions explicitly, so the VPC's
		// zones are never used; CloudFormation fills them in at deploy time.
		AvailabilityZones: awscdk.Fn_GetAzs(nil),
	})
	awscdk.Annotations_Of(vpc).AcknowledgeWarning(jsii.String("@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones"),
		jsii.String("the functions name their subnets explicitly; nothing selects subnets by zone"))
	network := &functionNetwork{vpc: vpc}
	for _, id := range s.cfg.VPC.PrivateSubnetIDs {
		subnet := awsec2.Subnet_FromSubnetId(s.stack, jsii.String("Subnet-"+id), jsii.String(id))
		awscdk.Annotations_Of(subnet).AcknowledgeWarning(jsii.String("@aws-cdk/aws-ec2:noSubnetRouteTableId"),
			jsii.String("Lambda needs only the subnet id; the stack never touches the subnet's routes"))
		network.subnets = append(network.subnets, subnet)
	}
	network.securityGroup = awsec2.NewSecurityGroup(s.stack, jsii.String("FunctionsSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              vpc,
		Description:      jsii.String("ddrotate step Lambdas: HTTPS out to Datadog and AWS APIs, nothing in"),
		AllowAllOutbound: jsii.Bool(false),
	})
	network.securityGroup.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS to the Datadog API and AWS APIs"), nil)
	return network
}

// attach puts a function in the network and grants its role what Lambda
// needs to manage the function's network interfaces. The role is ddrotate's
// own, so Lambda's managed VPC policy (all EC2 network interfaces in the
// account) is not attached; the grants are scoped to this VPC's subnets and
// security group wherever EC2 supports it.
func (n *functionNetwork) attach(s *rotationStack, role awsiam.Role, props *awslambda.FunctionProps) {
	props.Vpc = n.vpc
	props.VpcSubnets = &awsec2.SubnetSelection{Subnets: &n.subnets}
	props.SecurityGroups = &[]awsec2.ISecurityGroup{n.securityGroup}

	networkInterfaces := ec2ARN(s, "network-interface", "*")
	createResources := []*string{networkInterfaces, ec2ARN(s, "security-group", *n.securityGroup.SecurityGroupId())}
	for _, id := range s.cfg.VPC.PrivateSubnetIDs {
		createResources = append(createResources, ec2ARN(s, "subnet", id))
	}
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ec2:CreateNetworkInterface"),
		Resources: &createResources,
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"),
		Resources: &[]*string{networkInterfaces},
	}))
	// EC2 evaluates these two only against "*": they have no resource level.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"),
		Resources: jsii.Strings("*"),
	}))
	suppressNag(role, "AwsSolutions-IAM5", "Lambda manages the function's network interfaces with its execution role. "+
		"ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets support no resource-level permissions and need \"*\"; "+
		"network interface ids are assigned at run time, so delete and IP assignment are scoped to network interfaces of this account and region, "+
		"and creation to this VPC's configured subnets and the functions' security group.",
		"Resource::*", "Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*")
}

// ec2ARN is the ARN of an EC2 resource of the given type ("subnet") and id
// in this stack's account and region.
func ec2ARN(s *rotationStack, resourceType, id string) *string {
	return s.stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ec2"),
		Resource:     jsii.String(resourceType),
		ResourceName: jsii.String(id),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
	})
}
