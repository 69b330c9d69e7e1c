// Tessera on Azure, in one resource group: a Service Bus namespace with the session-enabled
// "tiles" and "events" queues, a storage account with the private "tessera" container, a VM
// Scale Set of workers that autoscales on the tiles backlog, and one gateway VM with a public
// DNS name. Every machine signs in with its managed identity (DefaultAzureCredential): the
// namespace refuses SAS keys and the account refuses shared keys, so no key exists to leak.
// Deploy and operate: infra/README.md.

targetScope = 'resourceGroup'

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Lowercase letters and digits, 3 to 9 characters: the start of every resource name.')
@minLength(3)
@maxLength(9)
param prefix string = 'tessera'

@description('VM size of each worker. A worker runs one kernel thread per vCPU.')
param workerVmSize string = 'Standard_D4s_v5'

@description('VM size of the gateway (HTTP API, web UI, job coordination; no kernels).')
param gatewayVmSize string = 'Standard_D2s_v5'

@description('Fewest workers. At least one, so a job starts without waiting for a VM to boot.')
@minValue(1)
@maxValue(100)
param minWorkers int = 1

@description('Most workers (the scale set stays in one placement group: at most 100).')
@minValue(1)
@maxValue(100)
param maxWorkers int = 10

@description('Scale out when the tiles backlog (ActiveMessages of the tiles queue) per worker averages above this over 5 minutes. A good value is the tiles one worker does in the ~5 minutes a new VM takes to join.')
@minValue(1)
param backlogPerWorker int = 300

@description('Scale in, one worker at a time, when the backlog per worker stays at or below this for 10 minutes (0: only when the queue is empty).')
@minValue(0)
param scaleInBacklogPerWorker int = 0

@description('Workers added by one scale-out.')
@minValue(1)
param scaleOutStep int = 2

@description('Lock duration of both queues in seconds. The apps get the same value (TESSERA_LOCK_MS): they pace lock renewals by it.')
@minValue(5)
@maxValue(300)
param lockDurationSeconds int = 60

@description('Deliveries before a tile is dead-lettered, on both queues and in the apps (TESSERA_MAX_DELIVERY_COUNT).')
@minValue(1)
@maxValue(2000)
param maxDeliveryCount int = 10

@description('Ubuntu LTS release of every machine.')
@allowed([
  '22.04'
  '24.04'
])
param ubuntuRelease string = '24.04'

@description('Admin user on every machine (SSH key only).')
param adminUsername string = 'azureuser'

@description('SSH public key of the admin user, e.g. the contents of ~/.ssh/id_ed25519.pub.')
param sshPublicKey string

@description('Git repository every machine clones Tessera from (https; public, or with credentials in the URL at your own risk).')
param repoUrl string

@description('Branch or tag to deploy.')
param repoBranch string = 'main'

@description('Port the gateway listens on: the only port open to the internet.')
param gatewayPort int = 8080

@description('Who may reach the gateway port: Internet, or a CIDR such as 203.0.113.0/24.')
param gatewayAllowedSource string = 'Internet'

@description('Bearer token the gateway requires on its API (TESSERA_API_TOKEN); empty for an open API.')
@secure()
param apiToken string = ''

var suffix = uniqueString(resourceGroup().id)
var queueNames = [
  'tiles'
  'events'
]
var containerName = 'tessera'

// How long the scale set holds a deletion for a draining worker. The worker unit's
// TimeoutStopSec (cloud-init.yaml) stays under it, so the drain script approves the deletion
// itself; Azure allows 5 to 15 minutes.
var drainNotice = 'PT10M'

var ubuntuImages = {
  '22.04': {
    publisher: 'Canonical'
    offer: '0001-com-ubuntu-server-jammy'
    sku: '22_04-lts-gen2'
    version: 'latest'
  }
  '24.04': {
    publisher: 'Canonical'
    offer: 'ubuntu-24_04-lts'
    sku: 'server'
    version: 'latest'
  }
}

var linuxConfiguration = {
  disablePasswordAuthentication: true
  ssh: {
    publicKeys: [
      {
        path: '/home/${adminUsername}/.ssh/authorized_keys'
        keyData: sshPublicKey
      }
    ]
  }
}

// ---------------------------------------------------------------- Service Bus

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: '${prefix}-sb-${suffix}'
  location: location
  // Standard is the cheapest tier with sessions, which keep a tile's messages in order.
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
  }
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [for queueName in queueNames: {
  parent: serviceBus
  name: queueName
  properties: {
    requiresSession: true
    lockDuration: 'PT${lockDurationSeconds}S'
    maxDeliveryCount: maxDeliveryCount
    deadLetteringOnMessageExpiration: true
  }
}]

// ---------------------------------------------------------------- Blob Storage

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: take('${toLower(prefix)}${suffix}', 24)
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}

// ---------------------------------------------------------------- Identities and roles

// User-assigned, so the role assignments exist before the machines boot.
resource workerIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${prefix}-worker-id'
  location: location
}

resource gatewayIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${prefix}-gateway-id'
  location: location
}

module workerRoles 'modules/data-roles.bicep' = {
  name: '${prefix}-worker-roles'
  params: {
    principalId: workerIdentity.properties.principalId
    serviceBusNamespaceName: serviceBus.name
    storageAccountName: storage.name
  }
}

module gatewayRoles 'modules/data-roles.bicep' = {
  name: '${prefix}-gateway-roles'
  params: {
    principalId: gatewayIdentity.properties.principalId
    serviceBusNamespaceName: serviceBus.name
    storageAccountName: storage.name
  }
}

// ---------------------------------------------------------------- Network

// Workers have no public address; they reach npm, NodeSource and git through a NAT gateway
// (Azure's implicit outbound access is being retired), and Blob Storage through a service
// endpoint, which keeps the pixels off the NAT's per-gigabyte charge.
resource natIp 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: '${prefix}-nat-ip'
  location: location
  sku: {
    name: 'Standard'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
  }
}

resource nat 'Microsoft.Network/natGateways@2024-05-01' = {
  name: '${prefix}-nat'
  location: location
  sku: {
    name: 'Standard'
  }
  properties: {
    idleTimeoutInMinutes: 4
    publicIpAddresses: [
      {
        id: natIp.id
      }
    ]
  }
}

resource gatewayNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: '${prefix}-gateway-nsg'
  location: location
  properties: {
    securityRules: [
      {
        name: 'tessera-gateway'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: gatewayAllowedSource
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: string(gatewayPort)
        }
      }
    ]
  }
}

// No rules: the defaults let nothing in from the internet.
resource workerNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: '${prefix}-worker-nsg'
  location: location
  properties: {
    securityRules: []
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: '${prefix}-vnet'
  location: location
  properties: {
    addressSpace: {
      addressPrefixes: [
        '10.42.0.0/16'
      ]
    }
    subnets: [
      {
        name: 'gateway'
        properties: {
          addressPrefix: '10.42.1.0/24'
          networkSecurityGroup: {
            id: gatewayNsg.id
          }
          serviceEndpoints: [
            {
              service: 'Microsoft.Storage'
            }
          ]
        }
      }
      {
        name: 'workers'
        properties: {
          addressPrefix: '10.42.2.0/24'
          networkSecurityGroup: {
            id: workerNsg.id
          }
          natGateway: {
            id: nat.id
          }
          serviceEndpoints: [
            {
              service: 'Microsoft.Storage'
            }
          ]
        }
      }
    ]
  }
}

// ---------------------------------------------------------------- Machines

// The environment file of each role (/etc/tessera/tessera.env): names and settings, no keys.
// AZURE_CLIENT_ID is DefaultAzureCredential's: it picks the machine's user-assigned identity.
var sharedEnv = [
  'TESSERA_SERVICEBUS_NAMESPACE=${serviceBus.name}'
  'TESSERA_STORAGE_ACCOUNT=${storage.name}'
  'TESSERA_CONTAINER=${containerName}'
  'TESSERA_LOCK_MS=${lockDurationSeconds * 1000}'
  'TESSERA_MAX_DELIVERY_COUNT=${maxDeliveryCount}'
]
var workerEnv = [
  'AZURE_CLIENT_ID=${workerIdentity.properties.clientId}'
]
var gatewayEnv = [
  'AZURE_CLIENT_ID=${gatewayIdentity.properties.clientId}'
  'PORT=${gatewayPort}'
  'TESSERA_API_TOKEN=${apiToken}'
]

// One cloud-init file for both roles; the role and its environment are filled in here. The
// environment travels base64-encoded, so no value can break the YAML around it.
var cloudInit = replace(replace(loadTextContent('cloud-init.yaml'), '{{REPO_URL}}', repoUrl), '{{REPO_BRANCH}}', repoBranch)
var workerEnvFile = join(concat(sharedEnv, workerEnv), '\n')
var gatewayEnvFile = join(concat(sharedEnv, gatewayEnv), '\n')
var workerCloudInit = replace(replace(cloudInit, '{{ROLE}}', 'worker'), '{{ENV_BASE64}}', base64('${workerEnvFile}\n'))
var gatewayCloudInit = replace(replace(cloudInit, '{{ROLE}}', 'gateway'), '{{ENV_BASE64}}', base64('${gatewayEnvFile}\n'))

resource gatewayIp 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: '${prefix}-gateway-ip'
  location: location
  sku: {
    name: 'Standard'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    dnsSettings: {
      domainNameLabel: '${toLower(prefix)}-${suffix}'
    }
  }
}

resource gatewayNic 'Microsoft.Network/networkInterfaces@2024-05-01' = {
  name: '${prefix}-gateway-nic'
  location: location
  properties: {
    ipConfigurations: [
      {
        name: 'ipconfig'
        properties: {
          privateIPAllocationMethod: 'Dynamic'
          subnet: {
            id: resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'gateway')
          }
          publicIPAddress: {
            id: gatewayIp.id
          }
        }
      }
    ]
  }
}

resource gateway 'Microsoft.Compute/virtualMachines@2024-07-01' = {
  name: '${prefix}-gateway'
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${gatewayIdentity.id}': {}
    }
  }
  properties: {
    hardwareProfile: {
      vmSize: gatewayVmSize
    }
    osProfile: {
      computerName: '${prefix}-gateway'
      adminUsername: adminUsername
      customData: base64(gatewayCloudInit)
      linuxConfiguration: linuxConfiguration
    }
    storageProfile: {
      imageReference: ubuntuImages[ubuntuRelease]
      osDisk: {
        createOption: 'FromImage'
        deleteOption: 'Delete'
        managedDisk: {
          storageAccountType: 'StandardSSD_LRS'
        }
      }
    }
    networkProfile: {
      networkInterfaces: [
        {
          id: gatewayNic.id
          properties: {
            deleteOption: 'Delete'
          }
        }
      ]
    }
  }
  // The gateway signs in as soon as it starts: its roles come first.
  dependsOn: [
    gatewayRoles
    queues
    container
  ]
}

resource workers 'Microsoft.Compute/virtualMachineScaleSets@2024-07-01' = {
  name: '${prefix}-workers'
  location: location
  // Autoscale owns the count after the first deployment; redeploying resets it to minWorkers.
  sku: {
    name: workerVmSize
    tier: 'Standard'
    capacity: minWorkers
  }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${workerIdentity.id}': {}
    }
  }
  properties: {
    orchestrationMode: 'Uniform'
    // Overprovisioned extra VMs would boot, take sessions and be deleted without notice.
    overprovision: false
    // A new model (size, branch) applies to new instances; old ones keep running their tiles.
    upgradePolicy: {
      mode: 'Manual'
    }
    // Repairs delete and recreate an instance without the terminate notice: a worker with
    // tiles in hand would lose them to lock expiry instead of draining. There is no health
    // probe to repair on anyway: a stuck worker's sessions already move on by lock expiry.
    automaticRepairsPolicy: {
      enabled: false
    }
    // Which instance goes is the default's choice; never force-deleted, so each one gets the
    // terminate notice below and drains.
    scaleInPolicy: {
      rules: [
        'Default'
      ]
      forceDeletion: false
    }
    virtualMachineProfile: {
      // A scale-in (or any delete) is announced through scheduled events and held up to
      // drainNotice; cloud-init's tessera-drain drains the worker and approves it sooner.
      scheduledEventsProfile: {
        terminateNotificationProfile: {
          enable: true
          notBeforeTimeout: drainNotice
        }
      }
      osProfile: {
        computerNamePrefix: '${prefix}-w'
        adminUsername: adminUsername
        customData: base64(workerCloudInit)
        linuxConfiguration: linuxConfiguration
      }
      storageProfile: {
        imageReference: ubuntuImages[ubuntuRelease]
        osDisk: {
          createOption: 'FromImage'
          managedDisk: {
            storageAccountType: 'StandardSSD_LRS'
          }
        }
      }
      networkProfile: {
        networkInterfaceConfigurations: [
          {
            name: 'nic'
            properties: {
              primary: true
              ipConfigurations: [
                {
                  name: 'ipconfig'
                  properties: {
                    subnet: {
                      id: resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'workers')
                    }
                  }
                }
              ]
            }
          }
        ]
      }
    }
  }
  dependsOn: [
    workerRoles
    queues
    container
  ]
}

// ---------------------------------------------------------------- Autoscale

// Workers follow the tiles backlog: Service Bus's ActiveMessages metric of the namespace,
// narrowed to the tiles queue (dimension EntityName) and divided by the instance count, so the
// thresholds read "tiles waiting per worker". Locked messages (tiles being run) count as
// active too. Scale out fast and in slowly: a new VM needs minutes to install and join, and a
// removed one drains first.
resource autoscale 'Microsoft.Insights/autoscalesettings@2022-10-01' = {
  name: '${prefix}-workers-autoscale'
  location: location
  properties: {
    enabled: true
    targetResourceUri: workers.id
    profiles: [
      {
        name: 'tiles backlog'
        capacity: {
          minimum: string(minWorkers)
          maximum: string(maxWorkers)
          default: string(minWorkers)
        }
        rules: [
          {
            metricTrigger: {
              metricName: 'ActiveMessages'
              metricNamespace: 'Microsoft.ServiceBus/namespaces'
              metricResourceUri: serviceBus.id
              dimensions: [
                {
                  DimensionName: 'EntityName'
                  Operator: 'Equals'
                  Values: [
                    'tiles'
                  ]
                }
              ]
              dividePerInstance: true
              timeGrain: 'PT1M'
              statistic: 'Average'
              timeWindow: 'PT5M'
              timeAggregation: 'Average'
              operator: 'GreaterThan'
              threshold: backlogPerWorker
            }
            // The cooldown covers a new VM's boot and install, so its tiles show in the
            // metric before the next decision.
            scaleAction: {
              direction: 'Increase'
              type: 'ChangeCount'
              value: string(scaleOutStep)
              cooldown: 'PT5M'
            }
          }
          {
            metricTrigger: {
              metricName: 'ActiveMessages'
              metricNamespace: 'Microsoft.ServiceBus/namespaces'
              metricResourceUri: serviceBus.id
              dimensions: [
                {
                  DimensionName: 'EntityName'
                  Operator: 'Equals'
                  Values: [
                    'tiles'
                  ]
                }
              ]
              dividePerInstance: true
              timeGrain: 'PT1M'
              statistic: 'Average'
              timeWindow: 'PT10M'
              timeAggregation: 'Maximum'
              operator: 'LessThanOrEqual'
              threshold: scaleInBacklogPerWorker
            }
            scaleAction: {
              direction: 'Decrease'
              type: 'ChangeCount'
              value: '1'
              cooldown: 'PT10M'
            }
          }
        ]
      }
    ]
  }
}

// ---------------------------------------------------------------- Outputs

output gatewayUrl string = 'http://${gatewayIp.properties.dnsSettings.fqdn}:${gatewayPort}'
output serviceBusNamespace string = serviceBus.name
output storageAccount string = storage.name
output workerScaleSet string = workers.name
output gatewayVm string = gateway.name
