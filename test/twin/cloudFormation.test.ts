import {
  CloudFormationResolver,
  UnresolvableError,
  type StackTemplate,
} from '../../local/twin/cloudFormation.ts';

const stack = (stackName: string, region: string, template: StackTemplate['template']): StackTemplate => ({
  stackName,
  region,
  account: '123456789012',
  partition: 'aws',
  template,
});

const state = stack('Lifeboat-State-us-west-2', 'us-west-2', {
  Resources: { LedgerKey: { Type: 'AWS::KMS::Key', Properties: {} } },
  Outputs: {
    KeyArn: {
      Value: { 'Fn::GetAtt': ['LedgerKey', 'Arn'] },
      Export: { Name: 'Lifeboat-State-us-west-2:KeyArn' },
    },
  },
});

const controlPlane = stack('Lifeboat-ControlPlane-us-west-2', 'us-west-2', {
  Resources: {
    Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'lifeboat-database' } },
    Role: { Type: 'AWS::IAM::Role', Properties: {} },
    Machine: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: { StateMachineName: 'lifeboat-failover' },
    },
    Table: { Type: 'AWS::DynamoDB::GlobalTable', Properties: { TableName: 'lifeboat-ledger' } },
  },
});

describe('CloudFormationResolver', () => {
  const resolver = new CloudFormationResolver([state, controlPlane]);

  it('gives functions, roles, state machines and tables the names and ARNs a deployment gets', () => {
    expect(resolver.resolve({ 'Fn::GetAtt': ['Fn', 'Arn'] }, controlPlane)).toBe(
      'arn:aws:lambda:us-west-2:123456789012:function:lifeboat-database',
    );
    expect(resolver.resolve({ 'Fn::GetAtt': ['Role', 'Arn'] }, controlPlane)).toBe(
      'arn:aws:iam::123456789012:role/Lifeboat-ControlPlane-us-west-2-Role',
    );
    expect(resolver.resolve({ Ref: 'Machine' }, controlPlane)).toBe(
      'arn:aws:states:us-west-2:123456789012:stateMachine:lifeboat-failover',
    );
    expect(resolver.resolve({ 'Fn::GetAtt': ['Table', 'Arn'] }, controlPlane)).toBe(
      'arn:aws:dynamodb:us-west-2:123456789012:table/lifeboat-ledger',
    );
  });

  it('resolves joins, subs, selects and splits with the pseudo parameters of the stack', () => {
    expect(
      resolver.resolve(
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':rds:', { Ref: 'AWS::Region' }, ':db:x']] },
        controlPlane,
      ),
    ).toBe('arn:aws:rds:us-west-2:db:x');
    expect(resolver.resolve({ 'Fn::Sub': '${AWS::AccountId}/${Fn}/${Fn.Arn}' }, controlPlane)).toBe(
      '123456789012/lifeboat-database/arn:aws:lambda:us-west-2:123456789012:function:lifeboat-database',
    );
    expect(resolver.resolve({ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] }, controlPlane)).toBe('b');
    expect(resolver.resolve(['a', { Ref: 'AWS::NoValue' }, 'b'], controlPlane)).toEqual(['a', 'b']);
  });

  it('follows an import to the stack that exports it', () => {
    const arn = resolver.resolve({ 'Fn::ImportValue': 'Lifeboat-State-us-west-2:KeyArn' }, controlPlane);
    expect(arn).toMatch(/^arn:aws:kms:us-west-2:123456789012:key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);
    expect(resolver.resolve({ 'Fn::ImportValue': 'Lifeboat-State-us-west-2:KeyArn' }, controlPlane)).toBe(
      arn,
    );
  });

  it('refuses what it cannot resolve, naming it', () => {
    expect(() => resolver.resolve({ 'Fn::ImportValue': 'nobody' }, controlPlane)).toThrow(
      new UnresolvableError('no stack exports nobody'),
    );
    expect(() => resolver.resolve({ 'Fn::GetAZs': '' }, controlPlane)).toThrow(/does not resolve Fn::GetAZs/);
    expect(() => resolver.resolve({ Ref: 'Missing' }, controlPlane)).toThrow(/has no resource Missing/);
  });
});
