/**
 * The nodes of Kapacitor 1.5.9's TICKscript pipeline: for each node type, the properties (`.name()`)
 * and chaining methods (`|name()`) it has, and the node type each leads to, as Kapacitor's
 * evaluator finds them by reflection. Generated from Kapacitor's pipeline package by
 * scripts/kapacitor-nodes/ (do not edit by hand); names as written in TICKscript.
 * A property maps to '' when it returns the same node, else to the type it returns (an alert
 * handler); a chaining method maps to the node type it creates ('' when it is no node).
 */

export interface NodeModel {
  readonly properties: Readonly<Record<string, string>>;
  readonly chain: Readonly<Record<string, string>>;
}

/** The chaining methods every processing node has. */
const CHAIN: Readonly<Record<string, string>> = {
  alert: 'AlertNode',
  barrier: 'BarrierNode',
  bottom: 'InfluxQLNode',
  changeDetect: 'ChangeDetectNode',
  combine: 'CombineNode',
  count: 'InfluxQLNode',
  cumulativeSum: 'InfluxQLNode',
  deadman: 'AlertNode',
  default: 'DefaultNode',
  delete: 'DeleteNode',
  derivative: 'DerivativeNode',
  difference: 'InfluxQLNode',
  distinct: 'InfluxQLNode',
  ec2Autoscale: 'Ec2AutoscaleNode',
  elapsed: 'InfluxQLNode',
  eval: 'EvalNode',
  first: 'InfluxQLNode',
  flatten: 'FlattenNode',
  groupBy: 'GroupByNode',
  holtWinters: 'InfluxQLNode',
  holtWintersWithFit: 'InfluxQLNode',
  httpOut: 'HTTPOutNode',
  httpPost: 'HTTPPostNode',
  influxDBOut: 'InfluxDBOutNode',
  join: 'JoinNode',
  k8sAutoscale: 'K8sAutoscaleNode',
  kapacitorLoopback: 'KapacitorLoopbackNode',
  last: 'InfluxQLNode',
  log: 'LogNode',
  max: 'InfluxQLNode',
  mean: 'InfluxQLNode',
  median: 'InfluxQLNode',
  min: 'InfluxQLNode',
  mode: 'InfluxQLNode',
  movingAverage: 'InfluxQLNode',
  percentile: 'InfluxQLNode',
  sample: 'SampleNode',
  shift: 'ShiftNode',
  sideload: 'SideloadNode',
  spread: 'InfluxQLNode',
  stateCount: 'StateCountNode',
  stateDuration: 'StateDurationNode',
  stats: 'StatsNode',
  stddev: 'InfluxQLNode',
  sum: 'InfluxQLNode',
  swarmAutoscale: 'SwarmAutoscaleNode',
  top: 'InfluxQLNode',
  union: 'UnionNode',
  where: 'WhereNode',
  window: 'WindowNode',
};

const without = (names: readonly string[]): Record<string, string> => Object.fromEntries(Object.entries(CHAIN).filter(([n]) => !names.includes(n)));

export const KAPACITOR_NODES: Readonly<Record<string, NodeModel>> = {
  AlertHTTPPostHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', captureResponse: '', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', endpoint: '', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', header: '', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: '', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', skipSSLVerification: '', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', timeout: '', topic: '', uRL: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  AlertNode: {
    properties: { alerta: 'AlertaHandler', all: '', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: '', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: '', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: '', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: '', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  AlertaHandler: {
    properties: { alerta: '', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', correlated: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', environment: '', event: '', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', group: '', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', origin: '', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', resource: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', services: '', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', timeout: '', token: '', topic: '', value: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  BarrierNode: {
    properties: { delete: '', idle: '', period: '', quiet: '' },
    chain: { ...CHAIN },
  },
  BatchNode: {
    properties: { quiet: '' },
    chain: { deadman: 'AlertNode', query: 'QueryNode', stats: 'StatsNode' },
  },
  BigPandaHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', appKey: '', bigPanda: '', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', primaryProperty: '', pushover: 'PushoverHandler', quiet: '', secondaryProperty: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  ChangeDetectNode: {
    properties: { fields: '', quiet: '' },
    chain: { ...CHAIN },
  },
  CombineNode: {
    properties: { as: '', delimiter: '', lambdas: '', max: '', quiet: '', tolerance: '' },
    chain: { ...without(['max']) },
  },
  DefaultNode: {
    properties: { field: '', quiet: '', tag: '' },
    chain: { ...CHAIN },
  },
  DeleteNode: {
    properties: { field: '', quiet: '', tag: '' },
    chain: { ...CHAIN },
  },
  DerivativeNode: {
    properties: { as: '', field: '', nonNegative: '', quiet: '', unit: '' },
    chain: { ...CHAIN },
  },
  DiscordHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', avatarURL: '', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: '', durationField: '', email: 'EmailHandler', embedTitle: '', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', username: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '', workspace: '' },
    chain: { ...CHAIN },
  },
  Ec2AutoscaleNode: {
    properties: { cluster: '', currentField: '', decreaseCooldown: '', groupName: '', groupNameTag: '', increaseCooldown: '', max: '', min: '', outputGroupNameTag: '', quiet: '', replicas: '' },
    chain: { ...without(['max', 'min']) },
  },
  EmailHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: '', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', to: '', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  EvalNode: {
    properties: { as: '', keep: '', keepList: '', lambdas: '', quiet: '', tags: '' },
    chain: { ...CHAIN },
  },
  ExecHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', command: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: '', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  FlattenNode: {
    properties: { delimiter: '', dropOriginalFieldName: '', on: '', quiet: '', tolerance: '' },
    chain: { ...CHAIN },
  },
  FromNode: {
    properties: { database: '', groupBy: '', groupByMeasurement: '', measurement: '', quiet: '', retentionPolicy: '', round: '', truncate: '', where: '' },
    chain: { ...CHAIN, from: 'FromNode' },
  },
  GroupByNode: {
    properties: { byMeasurement: '', dimensions: '', exclude: '', quiet: '' },
    chain: { ...CHAIN },
  },
  HTTPOutNode: {
    properties: { endpoint: '', quiet: '' },
    chain: { ...CHAIN },
  },
  HTTPPostNode: {
    properties: { captureResponse: '', codeField: '', endpoint: '', header: '', quiet: '', timeout: '', uRLs: '' },
    chain: { ...CHAIN },
  },
  HipChatHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: '', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', room: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', token: '', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  InfluxDBOutNode: {
    properties: { buffer: '', cluster: '', create: '', database: '', flushInterval: '', measurement: '', precision: '', quiet: '', retentionPolicy: '', tag: '', writeConsistency: '' },
    chain: { deadman: 'AlertNode', stats: 'StatsNode' },
  },
  InfluxQLNode: {
    properties: { args: '', as: '', field: '', method: '', quiet: '', reduceCreater: '', usePointTimes: '' },
    chain: { ...CHAIN },
  },
  JoinNode: {
    properties: { as: '', delimiter: '', fill: '', on: '', quiet: '', streamName: '', tolerance: '' },
    chain: { ...CHAIN },
  },
  K8sAutoscaleNode: {
    properties: { cluster: '', currentField: '', decreaseCooldown: '', increaseCooldown: '', kind: '', kindTag: '', max: '', min: '', namespace: '', namespaceTag: '', quiet: '', replicas: '', resourceName: '', resourceNameTag: '', resourceTag: '' },
    chain: { ...without(['max', 'min']) },
  },
  KafkaHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', cluster: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: '', kafkaTopic: '', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', template: '', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  KapacitorLoopbackNode: {
    properties: { database: '', measurement: '', quiet: '', retentionPolicy: '', tag: '' },
    chain: { deadman: 'AlertNode', stats: 'StatsNode' },
  },
  LogHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', filePath: '', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: '', message: '', messageField: '', mode: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...without(['mode']) },
  },
  LogNode: {
    properties: { level: '', prefix: '', quiet: '' },
    chain: { ...CHAIN },
  },
  MQTTHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', brokerName: '', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: '', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', qos: '', quiet: '', retained: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  OpsGenie2Handler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: '', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', recipients: '', recoveryAction: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: '', telegram: 'TelegramHandler', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  OpsGenieHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: '', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', recipients: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: '', telegram: 'TelegramHandler', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  PagerDuty2Handler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', link: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: '', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', routingKey: '', sensu: 'SensuHandler', serviceKey: '', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  PagerDutyHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: '', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceKey: '', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  PushoverHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', device: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: '', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', sound: '', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', title: '', topic: '', uRL: '', uRLTitle: '', userKey: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  QueryNode: {
    properties: { align: '', alignGroup: '', cluster: '', cron: '', every: '', fill: '', groupBy: '', groupByMeasurement: '', offset: '', period: '', queryStr: '', quiet: '' },
    chain: { ...CHAIN },
  },
  SNMPTrapHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', data: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: '', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', trapOid: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  SampleNode: {
    properties: { duration: '', n: '', quiet: '' },
    chain: { ...CHAIN },
  },
  SensuHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', handlers: '', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', metadata: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: '', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', source: '', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  ServiceNowHandler: {
    properties: { additionalInfo: '', alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', messageKey: '', metricName: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', node: '', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', password: '', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', resource: '', sensu: 'SensuHandler', serviceNow: '', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', source: '', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', type: '', uRL: '', username: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  ShiftNode: {
    properties: { quiet: '', shift: '' },
    chain: { ...without(['shift']) },
  },
  SideloadNode: {
    properties: { field: '', order: '', quiet: '', source: '', tag: '' },
    chain: { ...CHAIN },
  },
  SlackHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', channel: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', iconEmoji: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: '', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', username: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '', workspace: '' },
    chain: { ...CHAIN },
  },
  StateCountNode: {
    properties: { as: '', lambda: '', quiet: '' },
    chain: { ...CHAIN },
  },
  StateDurationNode: {
    properties: { as: '', lambda: '', quiet: '', unit: '' },
    chain: { ...CHAIN },
  },
  StatsNode: {
    properties: { align: '', interval: '', quiet: '', sourceNode: '' },
    chain: { ...CHAIN },
  },
  StreamNode: {
    properties: { quiet: '' },
    chain: { deadman: 'AlertNode', from: 'FromNode', stats: 'StatsNode' },
  },
  SwarmAutoscaleNode: {
    properties: { cluster: '', currentField: '', decreaseCooldown: '', increaseCooldown: '', max: '', min: '', outputServiceNameTag: '', quiet: '', replicas: '', serviceName: '', serviceNameTag: '' },
    chain: { ...without(['max', 'min']) },
  },
  TalkHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: '', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  TcpHandler: {
    properties: { address: '', alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: '', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  TeamsHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', channelURL: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: '', telegram: 'TelegramHandler', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  TelegramHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', chatId: '', crit: '', critReset: '', details: '', disableNotification: '', disableWebPagePreview: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', parseMode: '', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: '', topic: '', victorOps: 'VictorOpsHandler', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  UnionNode: {
    properties: { quiet: '', rename: '' },
    chain: { ...CHAIN },
  },
  VictorOpsHandler: {
    properties: { alerta: 'AlertaHandler', all: 'AlertNode', bigPanda: 'BigPandaHandler', category: '', crit: '', critReset: '', details: '', discord: 'DiscordHandler', durationField: '', email: 'EmailHandler', exec: 'ExecHandler', flapHigh: '', flapLow: '', flapping: 'AlertNode', hipChat: 'HipChatHandler', history: '', id: '', idField: '', idTag: '', info: '', infoReset: '', inhibit: 'AlertNode', kafka: 'KafkaHandler', levelField: '', levelTag: '', log: 'LogHandler', message: '', messageField: '', mqtt: 'MQTTHandler', noRecoveries: 'AlertNode', opsGenie: 'OpsGenieHandler', opsGenie2: 'OpsGenie2Handler', pagerDuty: 'PagerDutyHandler', pagerDuty2: 'PagerDuty2Handler', post: 'AlertHTTPPostHandler', pushover: 'PushoverHandler', quiet: '', routingKey: '', sensu: 'SensuHandler', serviceNow: 'ServiceNowHandler', slack: 'SlackHandler', snmpTrap: 'SNMPTrapHandler', stateChangesOnly: 'AlertNode', stateChangesOnlyDuration: '', talk: 'TalkHandler', tcp: 'TcpHandler', teams: 'TeamsHandler', telegram: 'TelegramHandler', topic: '', victorOps: '', warn: '', warnReset: '' },
    chain: { ...CHAIN },
  },
  WhereNode: {
    properties: { lambda: '', quiet: '' },
    chain: { ...CHAIN },
  },
  WindowNode: {
    properties: { align: '', every: '', everyCount: '', fillPeriod: '', period: '', periodCount: '', quiet: '' },
    chain: { ...CHAIN },
  },
};
