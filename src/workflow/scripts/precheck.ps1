# fleetpatch-precheck v1
# Measures what fleetpatch needs to decide whether this Windows instance is safe to patch, and prints
# one line: FLEETPATCH_PRECHECK_V1 {json}. It changes nothing on the machine.
$FpServices = @(__FP_SERVICES__)
$ErrorActionPreference = 'SilentlyContinue'

$disks = @()
foreach ($d in Get-CimInstance -ClassName Win32_LogicalDisk -Filter "DriveType=3") {
  $disks += [ordered]@{ mount = $d.DeviceID; size_kb = [int64]($d.Size / 1KB); avail_kb = [int64]($d.FreeSpace / 1KB) }
}
$cpus = [int](Get-CimInstance -ClassName Win32_ComputerSystem).NumberOfLogicalProcessors
if ($cpus -lt 1) { $cpus = 1 }
# Windows has no load average: use the processor queue length plus busy CPUs as its analogue.
$cpuPct = (Get-CimInstance -ClassName Win32_Processor | Measure-Object -Property LoadPercentage -Average).Average
$queue = (Get-CimInstance -ClassName Win32_PerfFormattedData_PerfOS_System).ProcessorQueueLength
$load1 = [math]::Round(([double]$cpuPct / 100.0) * $cpus + [double]$queue, 2)
$os = Get-CimInstance -ClassName Win32_OperatingSystem
$memTotal = [int64]$os.TotalVisibleMemorySize
$memAvail = [int64]$os.FreePhysicalMemory

$services = [ordered]@{}
foreach ($name in $FpServices) {
  $svc = Get-Service -Name $name
  if ($null -eq $svc) { $services[$name] = 'not-found' }
  elseif ($svc.Status -eq 'Running') { $services[$name] = 'active' }
  else { $services[$name] = 'inactive' }
}

$reboot = (Test-Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending') -or
          (Test-Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired')
$pkgLock = $null -ne (Get-Process -Name 'TiWorker','TrustedInstaller' | Where-Object { $_.CPU -gt 0 })

$result = [ordered]@{
  disks = $disks; cpus = $cpus; load1 = $load1; mem_total_kb = $memTotal; mem_available_kb = $memAvail
  services = $services; reboot_required = [bool]$reboot; pkg_lock = [bool]$pkgLock
}
Write-Output ('FLEETPATCH_PRECHECK_V1 ' + ($result | ConvertTo-Json -Compress -Depth 4))
