//! Benign values: the programs, users, hosts, paths, registry keys, domains, scripts and
//! cloud calls of an ordinary small Windows/Linux/AWS estate, and [`benign`], the value of any
//! field a source or a rule names.

use super::rules::Lit;
use super::sources::{Layout, Source};
use crate::corpus::Rng;
use std::fmt::Write as _;

/// A Windows program as Sysmon describes it.
pub(super) struct Program {
    pub path: &'static str,
    pub original: &'static str,
    pub description: &'static str,
    pub product: &'static str,
    pub company: &'static str,
    pub version: &'static str,
    pub args: &'static [&'static str],
}

const MS: &str = "Microsoft Corporation";
const WINDOWS: &str = "Microsoft® Windows® Operating System";

const fn ms(
    path: &'static str,
    original: &'static str,
    description: &'static str,
    args: &'static [&'static str],
) -> Program {
    Program {
        path,
        original,
        description,
        product: WINDOWS,
        company: MS,
        version: "10.0.22621.3527 (WinBuild.160101.0800)",
        args,
    }
}

pub(super) static WIN_PROGRAMS: &[Program] = &[
    ms(
        "C:\\Windows\\System32\\svchost.exe",
        "svchost.exe",
        "Host Process for Windows Services",
        &[
            "-k netsvcs -p -s Schedule",
            "-k LocalServiceNetworkRestricted -p -s EventLog",
            "-k NetworkService -p -s Dnscache",
            "-k DcomLaunch -p",
            "-k UnistackSvcGroup -s CDPUserSvc",
        ],
    ),
    ms(
        "C:\\Windows\\explorer.exe",
        "EXPLORER.EXE",
        "Windows Explorer",
        &[
            "",
            "/factory,{75dff2b7-6936-4c06-a8bb-676a7b00b24b} -Embedding",
        ],
    ),
    ms(
        "C:\\Windows\\System32\\RuntimeBroker.exe",
        "RuntimeBroker.exe",
        "Runtime Broker",
        &["-Embedding"],
    ),
    ms(
        "C:\\Windows\\System32\\taskhostw.exe",
        "taskhostw.exe",
        "Host Process for Windows Tasks",
        &["", "{222A245B-E637-4AE9-A93F-A59CA119A75E}"],
    ),
    ms(
        "C:\\Windows\\System32\\conhost.exe",
        "CONHOST.EXE",
        "Console Window Host",
        &["0xffffffff -ForceV1"],
    ),
    ms(
        "C:\\Windows\\System32\\SearchIndexer.exe",
        "SearchIndexer.exe",
        "Microsoft Windows Search Indexer",
        &["/Embedding"],
    ),
    ms(
        "C:\\Windows\\System32\\dllhost.exe",
        "dllhost.exe",
        "COM Surrogate",
        &["/Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}"],
    ),
    ms(
        "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
        "Wmiprvse.exe",
        "WMI Provider Host",
        &["-secured -Embedding", "-Embedding"],
    ),
    ms(
        "C:\\Windows\\System32\\backgroundTaskHost.exe",
        "backgroundTaskHost.exe",
        "Background Task Host",
        &["-ServerName:BackgroundTaskHost.WebAccountProvider"],
    ),
    ms(
        "C:\\Windows\\System32\\sihost.exe",
        "sihost.exe",
        "Shell Infrastructure Host",
        &[""],
    ),
    ms(
        "C:\\Windows\\System32\\ctfmon.exe",
        "CTFMON.EXE",
        "CTF Loader",
        &[""],
    ),
    ms(
        "C:\\Windows\\System32\\spoolsv.exe",
        "spoolsv.exe",
        "Spooler SubSystem App",
        &[""],
    ),
    ms(
        "C:\\Windows\\System32\\msiexec.exe",
        "msiexec.exe",
        "Windows® installer",
        &["/V", "-Embedding 6A1B0C3E2F9D8E7A6B5C4D3E2F1A0B9C"],
    ),
    ms(
        "C:\\Windows\\System32\\notepad.exe",
        "NOTEPAD.EXE",
        "Notepad",
        &["", "C:\\Users\\{user}\\Documents\\notes.txt"],
    ),
    ms(
        "C:\\Windows\\System32\\cmd.exe",
        "Cmd.Exe",
        "Windows Command Processor",
        &[
            "/c echo %PROCESSOR_ARCHITECTURE%",
            "/d /c \"C:\\Program Files\\Git\\cmd\\git.exe\" status",
            "/c \"C:\\ProgramData\\chocolatey\\bin\\choco.exe\" outdated",
        ],
    ),
    ms(
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "PowerShell.EXE",
        "Windows PowerShell",
        &[
            "-NoProfile -NonInteractive -Command Get-Date",
            "-ExecutionPolicy RemoteSigned -File C:\\ProgramData\\Corp\\inventory.ps1",
        ],
    ),
    ms(
        "C:\\Windows\\System32\\wuauclt.exe",
        "wuauclt.exe",
        "Windows Update",
        &["/RunHandlerComServer"],
    ),
    ms(
        "C:\\Windows\\System32\\SecurityHealthService.exe",
        "SecurityHealthService.exe",
        "Windows Security Health Service",
        &[""],
    ),
    ms(
        "C:\\Windows\\System32\\smartscreen.exe",
        "smartscreen.exe",
        "Windows Defender SmartScreen",
        &["-Embedding"],
    ),
    ms(
        "C:\\Windows\\System32\\audiodg.exe",
        "AUDIODG.EXE",
        "Windows Audio Device Graph Isolation",
        &["0x4a4"],
    ),
    Program {
        path: "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24030.9-0\\MsMpEng.exe",
        original: "MsMpEng.exe",
        description: "Antimalware Service Executable",
        product: WINDOWS,
        company: MS,
        version: "4.18.24030.9 (WinBuild.160101.0800)",
        args: &[""],
    },
    Program {
        path: "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        original: "chrome.exe",
        description: "Google Chrome",
        product: "Google Chrome",
        company: "Google LLC",
        version: "124.0.6367.119",
        args: &[
            "--type=renderer --lang=en-US --num-raster-threads=4",
            "--type=utility --utility-sub-type=network.mojom.NetworkService",
            "https://intranet.corp.example/",
        ],
    },
    Program {
        path: "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        original: "msedge.exe",
        description: "Microsoft Edge",
        product: "Microsoft Edge",
        company: MS,
        version: "124.0.2478.80",
        args: &[
            "--type=gpu-process --gpu-preferences=WAAAAAAAAADgAAA",
            "--single-argument https://outlook.office.com/",
        ],
    },
    Program {
        path: "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
        original: "Outlook.exe",
        description: "Microsoft Outlook",
        product: "Microsoft Outlook",
        company: MS,
        version: "16.0.17531.20152",
        args: &["", "/recycle"],
    },
    Program {
        path: "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        original: "WinWord.exe",
        description: "Microsoft Word",
        product: "Microsoft Office",
        company: MS,
        version: "16.0.17531.20152",
        args: &["/n \"C:\\Users\\{user}\\Documents\\Q3 plan.docx\""],
    },
    Program {
        path: "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
        original: "Excel.exe",
        description: "Microsoft Excel",
        product: "Microsoft Office",
        company: MS,
        version: "16.0.17531.20152",
        args: &["\"C:\\Users\\{user}\\Documents\\budget.xlsx\""],
    },
    Program {
        path: "C:\\Users\\{user}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe",
        original: "Teams.exe",
        description: "Microsoft Teams",
        product: "Microsoft Teams",
        company: MS,
        version: "1.7.0.6058",
        args: &["--type=renderer --autoplay-policy=no-user-gesture-required"],
    },
    Program {
        path: "C:\\Users\\{user}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe",
        original: "OneDrive.exe",
        description: "Microsoft OneDrive",
        product: "Microsoft OneDrive",
        company: MS,
        version: "24.076.0414.0003",
        args: &["/background"],
    },
    Program {
        path: "C:\\Users\\{user}\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe",
        original: "electron.exe",
        description: "Visual Studio Code",
        product: "Visual Studio Code",
        company: MS,
        version: "1.89.0",
        args: &["--type=utility --utility-sub-type=node.mojom.NodeService"],
    },
    Program {
        path: "C:\\Program Files\\Git\\cmd\\git.exe",
        original: "git.exe",
        description: "Git for Windows",
        product: "Git",
        company: "The Git Development Community",
        version: "2.45.0.windows.1",
        args: &["fetch --all --prune", "status --porcelain"],
    },
    Program {
        path: "C:\\Program Files\\Python312\\python.exe",
        original: "python.exe",
        description: "Python",
        product: "Python",
        company: "Python Software Foundation",
        version: "3.12.3",
        args: &[
            "-m pip list --outdated",
            "C:\\Users\\{user}\\src\\report\\build.py",
        ],
    },
    Program {
        path: "C:\\Program Files\\Slack\\slack.exe",
        original: "slack.exe",
        description: "Slack",
        product: "Slack",
        company: "Slack Technologies, Inc.",
        version: "4.38.115",
        args: &["--type=renderer"],
    },
    Program {
        path: "C:\\Program Files\\Zoom\\bin\\Zoom.exe",
        original: "Zoom.exe",
        description: "Zoom Meetings",
        product: "Zoom",
        company: "Zoom Video Communications, Inc.",
        version: "6.0.4",
        args: &[""],
    },
    Program {
        path: "C:\\Program Files\\Mozilla Firefox\\firefox.exe",
        original: "firefox.exe",
        description: "Firefox",
        product: "Firefox",
        company: "Mozilla Corporation",
        version: "125.0.3",
        args: &["-contentproc --channel=1234 -childID 3 -isForBrowser tab"],
    },
];

/// A Linux program and ordinary command lines for it.
pub(super) static LINUX_PROGRAMS: &[(&str, &[&str])] = &[
    ("/usr/bin/bash", &["-bash", "bash -c 'source /etc/profile.d/env.sh'"]),
    ("/usr/bin/ls", &["ls -la /var/log", "ls --color=auto"]),
    ("/usr/bin/grep", &["grep -r TODO src/", "grep -E 'error|warn' /var/log/app/app.log"]),
    ("/usr/bin/python3.10", &["python3 /opt/app/worker.py --queue default", "/usr/bin/python3 -m http.server 8000"]),
    ("/usr/sbin/sshd", &["sshd: deploy [priv]", "/usr/sbin/sshd -D -R"]),
    ("/usr/bin/systemctl", &["systemctl status nginx", "systemctl is-active docker"]),
    ("/usr/bin/cat", &["cat /proc/meminfo", "cat /etc/os-release"]),
    ("/usr/bin/ps", &["ps aux", "ps -eo pid,comm,%cpu"]),
    ("/usr/lib/systemd/systemd", &["/lib/systemd/systemd --user"]),
    ("/usr/bin/dockerd", &["/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock"]),
    ("/usr/bin/containerd-shim-runc-v2", &["/usr/bin/containerd-shim-runc-v2 -namespace moby -id 4f2a9c -address /run/containerd/containerd.sock"]),
    ("/usr/bin/apt-get", &["apt-get update", "apt-get install -y jq"]),
    ("/usr/sbin/cron", &["/usr/sbin/cron -f -P"]),
    ("/usr/bin/node", &["node /srv/web/server.js"]),
    ("/usr/bin/git", &["git pull --ff-only", "git log --oneline -5"]),
    ("/usr/bin/tar", &["tar -czf /backup/etc-2026-11-29.tgz /etc"]),
    ("/usr/sbin/nginx", &["nginx: worker process"]),
    ("/usr/bin/sudo", &["sudo systemctl restart nginx"]),
];

pub(super) static WIN_USERS: &[&str] = &[
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "svc_backup",
    "admin.frank",
];
pub(super) static DOMAIN: &str = "CORP";
pub(super) static HOSTS: &[&str] = &[
    "WS-0142",
    "WS-0211",
    "WS-0388",
    "LAPTOP-7F3K2",
    "SRV-FILE01",
    "SRV-APP02",
    "DC01",
];
pub(super) static LINUX_HOSTS: &[&str] = &[
    "web-01",
    "web-02",
    "build-agent-3",
    "db-replica-1",
    "bastion",
];
pub(super) static LINUX_USERS: &[&str] = &["root", "deploy", "ubuntu", "www-data", "postgres"];

static DLLS: &[&str] = &[
    "ntdll.dll",
    "kernel32.dll",
    "KernelBase.dll",
    "user32.dll",
    "advapi32.dll",
    "combase.dll",
    "ole32.dll",
    "rpcrt4.dll",
    "sechost.dll",
    "bcrypt.dll",
    "crypt32.dll",
    "wininet.dll",
    "winhttp.dll",
    "dnsapi.dll",
    "ws2_32.dll",
    "mswsock.dll",
    "shell32.dll",
    "msvcrt.dll",
    "ucrtbase.dll",
    "gdi32.dll",
    "uxtheme.dll",
    "propsys.dll",
    "windows.storage.dll",
];
static DOMAINS: &[&str] = &[
    "www.microsoft.com",
    "login.microsoftonline.com",
    "outlook.office365.com",
    "github.com",
    "update.googleapis.com",
    "intranet.corp.example",
    "wpad.corp.example",
    "teams.microsoft.com",
    "settings-win.data.microsoft.com",
    "ocsp.digicert.com",
    "slack.com",
    "api.segment.io",
    "fonts.gstatic.com",
    "dc01.corp.example",
    "time.windows.com",
    "ctldl.windowsupdate.com",
];
static PIPES: &[&str] = &[
    "\\srvsvc",
    "\\wkssvc",
    "\\lsarpc",
    "\\samr",
    "\\netlogon",
    "\\spoolss",
    "\\InitShutdown",
    "\\eventlog",
    "\\atsvc",
];
static SCRIPTS: &[&str] = &[
    "{ Set-StrictMode -Version 1; $_.PSMessageDetails }",
    "{ Set-StrictMode -Version 1; $_.ErrorCategory_Message }",
    "prompt",
    "$global:?",
    "Get-ChildItem -Path $env:USERPROFILE\\Documents -Recurse -Filter *.docx | Sort-Object LastWriteTime -Descending | Select-Object -First 10",
    "Import-Module Microsoft.PowerShell.Utility",
    "Get-Service | Where-Object { $_.Status -eq 'Running' } | Select-Object Name, DisplayName",
    "$ErrorActionPreference = 'Stop'\n$inventory = Get-CimInstance -ClassName Win32_OperatingSystem\n$inventory | ConvertTo-Json | Out-File C:\\ProgramData\\Corp\\inventory.json",
    "function Write-Log { param([string]$Message) Add-Content -Path $LogFile -Value \"$(Get-Date -Format o) $Message\" }",
    "Test-NetConnection -ComputerName intranet.corp.example -Port 443",
    "Get-Process | Sort-Object CPU -Descending | Select-Object -First 5",
    "Update-Help -Module Microsoft.PowerShell.Core -ErrorAction SilentlyContinue",
];
static REGISTRY: &[&str] = &[
    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\StartupApproved\\Run\\OneDrive",
    "HKU\\{sid}\\Software\\Microsoft\\Office\\16.0\\Common\\Roaming\\Identities\\{guid}\\LastSwitchedTime",
    "HKLM\\System\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\{sid}\\\\Device\\HarddiskVolume3\\Windows\\System32\\notepad.exe",
    "HKU\\{sid}\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\.docx\\12",
    "HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates\\SignaturesLastUpdated",
    "HKU\\{sid}\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\ZoneMap\\ProxyBypass",
    "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\{guid}\\DhcpIPAddress",
    "HKU\\{sid}\\Software\\Google\\Chrome\\BLBeacon\\version",
    "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\\AutoRestartShell",
];
static CLOUD_CALLS: &[(&str, &str, bool)] = &[
    ("s3.amazonaws.com", "GetObject", true),
    ("s3.amazonaws.com", "PutObject", false),
    ("s3.amazonaws.com", "ListBuckets", true),
    ("ec2.amazonaws.com", "DescribeInstances", true),
    ("ec2.amazonaws.com", "DescribeSecurityGroups", true),
    ("sts.amazonaws.com", "AssumeRole", true),
    ("sts.amazonaws.com", "GetCallerIdentity", true),
    ("iam.amazonaws.com", "ListRoles", true),
    ("iam.amazonaws.com", "GetRole", true),
    ("kms.amazonaws.com", "Decrypt", true),
    ("kms.amazonaws.com", "GenerateDataKey", true),
    ("monitoring.amazonaws.com", "GetMetricData", true),
    ("dynamodb.amazonaws.com", "DescribeTable", true),
    ("signin.amazonaws.com", "ConsoleLogin", false),
    ("ssm.amazonaws.com", "GetParameter", true),
    ("secretsmanager.amazonaws.com", "GetSecretValue", true),
    ("ecr.amazonaws.com", "GetAuthorizationToken", true),
    (
        "elasticloadbalancing.amazonaws.com",
        "DescribeLoadBalancers",
        true,
    ),
    ("lambda.amazonaws.com", "ListFunctions20150331", true),
    ("logs.amazonaws.com", "CreateLogStream", false),
];
static AGENTS: &[&str] = &[
    "aws-cli/2.15.40 Python/3.11.8 Linux/6.5.0-1018-aws exe/x86_64.ubuntu.22 prompt/off command/s3.cp",
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/sts#1.28.6",
    "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#5.10.215 md/arch#x86_64 lang/python#3.11.9",
    "console.amazonaws.com",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "terraform-provider-aws/5.46.0 (+https://registry.terraform.io) aws-sdk-go/1.51.21",
];

/// What the fields of one event share: its host, user, process and parent.
pub(super) struct Ctx {
    pub host: &'static str,
    pub user: &'static str,
    pub sid: String,
    pub program: usize,
    pub parent: usize,
    pub linux_program: usize,
    pub linux_parent: usize,
    pub linux_user: &'static str,
    pub unix_us: u64,
}

impl Ctx {
    pub fn new(rng: &mut Rng, unix_us: u64) -> Self {
        Ctx {
            host: rng.pick_str(HOSTS),
            user: rng.pick_str(WIN_USERS),
            sid: format!(
                "S-1-5-21-3623811015-3361044348-30300820-{}",
                1100 + rng.below(40)
            ),
            program: rng.below(WIN_PROGRAMS.len() as u64) as usize,
            parent: rng.below(WIN_PROGRAMS.len() as u64) as usize,
            linux_program: rng.below(LINUX_PROGRAMS.len() as u64) as usize,
            linux_parent: rng.below(LINUX_PROGRAMS.len() as u64) as usize,
            linux_user: rng.pick_str(LINUX_USERS),
            unix_us,
        }
    }

    fn fill(&self, template: &str) -> String {
        template
            .replace("{user}", self.user)
            .replace("{sid}", &self.sid)
    }

    fn win_cmdline(&self, rng: &mut Rng, p: &Program) -> String {
        let args = self.fill(rng.pick_str(p.args));
        if args.is_empty() {
            format!("\"{}\"", self.fill(p.path))
        } else {
            format!("\"{}\" {args}", self.fill(p.path))
        }
    }
}

pub(super) fn hex(rng: &mut Rng, len: usize) -> String {
    let mut s = String::with_capacity(len + 16);
    while s.len() < len {
        let _ = write!(s, "{:016x}", rng.next_u64());
    }
    s.truncate(len);
    s
}

pub(super) fn guid(rng: &mut Rng) -> String {
    let h = hex(rng, 32).to_uppercase();
    format!(
        "{{{}-{}-{}-{}-{}}}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn ip_internal(rng: &mut Rng) -> String {
    format!(
        "10.{}.{}.{}",
        rng.range(0, 3),
        rng.range(0, 40),
        rng.range(2, 250)
    )
}

fn ip_public(rng: &mut Rng) -> String {
    let firsts = [13u64, 20, 23, 40, 52, 104, 140, 151, 185];
    format!(
        "{}.{}.{}.{}",
        firsts[rng.below(firsts.len() as u64) as usize],
        rng.range(0, 255),
        rng.range(0, 255),
        rng.range(1, 254)
    )
}

/// `2026-11-29 08:00:00.123` for a time in microseconds since the epoch.
pub(super) fn timestamp(unix_us: u64) -> String {
    let secs = unix_us / 1_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        unix_us % 1_000_000 / 1000
    )
}

fn s(v: impl Into<String>) -> Lit {
    Lit::Str(v.into())
}

fn n(v: u64) -> Lit {
    Lit::Num(v.into())
}

fn windows_file(rng: &mut Rng, cx: &Ctx) -> String {
    let u = cx.user;
    match rng.below(8) {
        0 => format!("C:\\Users\\{u}\\AppData\\Local\\Temp\\{}.tmp", hex(rng, 8)),
        1 => format!("C:\\Users\\{u}\\Downloads\\report-{}.pdf", rng.range(100, 999)),
        2 => format!("C:\\Windows\\Prefetch\\SVCHOST.EXE-{}.pf", hex(rng, 8).to_uppercase()),
        3 => format!("C:\\Users\\{u}\\AppData\\Roaming\\Microsoft\\Windows\\Recent\\notes ({}).lnk", rng.range(1, 9)),
        4 => format!("C:\\Windows\\Temp\\{}.log", guid(rng)),
        5 => format!("C:\\Users\\{u}\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache\\Cache_Data\\f_{}", hex(rng, 6)),
        6 => format!("C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\Service\\DetectionHistory\\{}", hex(rng, 2)),
        _ => format!("C:\\Users\\{u}\\Documents\\Q{} plan.docx", rng.range(1, 4)),
    }
}

fn linux_file(rng: &mut Rng, cx: &Ctx) -> String {
    match rng.below(6) {
        0 => format!("/tmp/tmp{}", hex(rng, 8)),
        1 => format!("/var/log/app/app-{}.log", rng.range(1, 30)),
        2 => format!("/home/{}/.cache/pip/http/{}", cx.linux_user, hex(rng, 12)),
        3 => format!("/var/lib/docker/overlay2/{}/diff/etc/hosts", hex(rng, 16)),
        4 => "/run/systemd/journal/streams/8:12345".to_owned(),
        _ => format!("/srv/web/uploads/{}.png", hex(rng, 10)),
    }
}

fn hashes(rng: &mut Rng) -> String {
    format!(
        "SHA1={},MD5={},SHA256={},IMPHASH={}",
        hex(rng, 40).to_uppercase(),
        hex(rng, 32).to_uppercase(),
        hex(rng, 64).to_uppercase(),
        hex(rng, 32).to_uppercase()
    )
}

/// The benign value of `field` in an event of `source`; `None` leaves the field out.
pub(super) fn benign(
    field: &str,
    source: &Source,
    event_id: u32,
    cx: &Ctx,
    rng: &mut Rng,
) -> Option<Lit> {
    let linux = source.layout == Layout::Linux;
    let prog = &WIN_PROGRAMS[cx.program];
    let parent = &WIN_PROGRAMS[cx.parent];
    let (lpath, lcmds) = LINUX_PROGRAMS[cx.linux_program];
    let (ppath, pcmds) = LINUX_PROGRAMS[cx.linux_parent];
    let user = if linux {
        cx.linux_user.to_owned()
    } else if cx.user == "svc_backup" || rng.chance(0.3) {
        "NT AUTHORITY\\SYSTEM".to_owned()
    } else {
        format!("{DOMAIN}\\{}", cx.user)
    };
    let image_load = source.name == "sysmon/image_load" || source.name == "sysmon/driver_load";
    let v = match field {
        "RuleName" => s("-"),
        "UtcTime" | "CreationUtcTime" => s(timestamp(cx.unix_us)),
        "ProcessGuid" | "ParentProcessGuid" | "LogonGuid" | "SourceProcessGUID" | "TargetProcessGUID"
        | "SourceProcessGuid" | "TargetProcessGuid" | "ScriptBlockId" => s(guid(rng)),
        "ProcessId" | "ParentProcessId" | "SourceProcessId" | "TargetProcessId" | "SourceThreadId"
        | "NewThreadId" | "NewProcessId" | "ProcessID" => n(rng.range(4, 40_000)),
        "Image" | "SourceImage" if linux => s(lpath),
        "Image" | "SourceImage" => s(cx.fill(prog.path)),
        "CommandLine" if linux => s(rng.pick_str(lcmds)),
        "CommandLine" => s(cx.win_cmdline(rng, prog)),
        "ParentImage" if linux => s(ppath),
        "ParentImage" | "TargetImage" | "NewProcessName" | "ParentProcessName" | "ProcessName"
        | "Application" => s(cx.fill(if field == "NewProcessName" { prog.path } else { parent.path })),
        "ParentCommandLine" if linux => s(rng.pick_str(pcmds)),
        "ParentCommandLine" => s(cx.win_cmdline(rng, parent)),
        "OriginalFileName" if image_load => s(rng.pick_str(DLLS)),
        "OriginalFileName" => s(prog.original),
        "Description" if image_load => s("Windows NT BASE API Client DLL"),
        "Description" => s(prog.description),
        "Product" if image_load => s(WINDOWS),
        "Product" => s(prog.product),
        "Company" => s(if image_load { MS } else { prog.company }),
        "FileVersion" => s(if image_load { "10.0.22621.3527 (WinBuild.160101.0800)" } else { prog.version }),
        "CurrentDirectory" if linux => s(format!("/home/{}", cx.linux_user)),
        "CurrentDirectory" => s(if rng.chance(0.5) { "C:\\Windows\\system32\\".to_owned() } else { format!("C:\\Users\\{}\\", cx.user) }),
        "User" | "ParentUser" | "SourceUser" | "TargetUser" => s(user),
        "LogonId" | "SubjectLogonId" | "TargetLogonId" => s(format!("0x{:x}", rng.range(0x3e7, 0x9_ffff))),
        "TerminalSessionId" => n(rng.range(0, 2)),
        "IntegrityLevel" => s(*rng.pick(&["Medium", "Medium", "High", "System"])),
        "Hashes" => s(hashes(rng)),
        "TargetFilename" if linux => s(linux_file(rng, cx)),
        "TargetFilename" => s(windows_file(rng, cx)),
        "ImageLoaded" => s(format!("C:\\Windows\\System32\\{}", rng.pick_str(DLLS))),
        "Signed" => s("true"),
        "Signature" => s("Microsoft Windows"),
        "SignatureStatus" => s("Valid"),
        "EventType" => s(source.event_type.unwrap_or("Info")),
        "TargetObject" => s(cx.fill(&rng.pick_str(REGISTRY).replace("{guid}", &guid(rng)))),
        "Details" => s(match rng.below(4) {
            0 => "DWORD (0x00000001)".to_owned(),
            1 => "DWORD (0x00000000)".to_owned(),
            2 => format!("QWORD (0x01da{}-0x{})", hex(rng, 4), hex(rng, 8)),
            _ => cx.fill(prog.path),
        }),
        "QueryName" => s(rng.pick_str(DOMAINS)),
        "QueryStatus" => s("0"),
        "QueryResults" => s(format!("type:  5 edge.microsoft.com;::ffff:{};", ip_public(rng))),
        "GrantedAccess" => s(*rng.pick(&["0x1000", "0x1400", "0x1410", "0x100000", "0x101000"])),
        "CallTrace" => s(format!(
            "C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+{}|UNKNOWN(00007FF{})",
            hex(rng, 5),
            hex(rng, 9).to_uppercase()
        )),
        "StartAddress" => s(format!("0x00007FF{}", hex(rng, 9).to_uppercase())),
        "StartModule" => s("C:\\Windows\\System32\\KERNELBASE.dll"),
        "StartFunction" => s("CtrlRoutine"),
        "PipeName" => s(rng.pick_str(PIPES)),
        "Protocol" => s("tcp"),
        "Initiated" => s("true"),
        "SourceIsIpv6" | "DestinationIsIpv6" => s("false"),
        "SourceIp" | "SourceAddress" => s(ip_internal(rng)),
        "SourceHostname" => s(format!("{}.corp.example", cx.host)),
        "SourcePort" | "IpPort" => n(rng.range(49_152, 65_535)),
        "SourcePortName" | "DestinationPortName" => s("-"),
        "DestinationIp" | "DestAddress" => s(if rng.chance(0.5) { ip_internal(rng) } else { ip_public(rng) }),
        "DestinationHostname" => s(rng.pick_str(DOMAINS)),
        "DestinationPort" | "DestPort" => n(*rng.pick(&[443u64, 443, 80, 53, 445, 389, 8080, 5985])),
        "MessageNumber" | "MessageTotal" => n(1),
        "ScriptBlockText" => s(rng.pick_str(SCRIPTS)),
        "Path" if source.service == "powershell" => s(if rng.chance(0.6) { String::new() } else { "C:\\ProgramData\\Corp\\inventory.ps1".to_owned() }),
        "Path" => s(windows_file(rng, cx)),
        "ContextInfo" => s(format!(
            "        Severity = Informational\n        Host Name = ConsoleHost\n        Host Application = C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\n        Command Name = Get-Date\n        User = {DOMAIN}\\{}\n",
            cx.user
        )),
        "UserData" => s(""),
        "Payload" => s("CommandInvocation(Get-Date): \"Get-Date\""),
        "NewEngineState" => s("Available"),
        "PreviousEngineState" => s("None"),
        "Data" if source.service == "powershell-classic" => s(
            "NewEngineState=Available PreviousEngineState=None SequenceNumber=13 HostName=ConsoleHost HostVersion=5.1.22621.2506 HostApplication=C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe EngineVersion=5.1.22621.2506",
        ),
        "Data" => s(match event_id {
            11707 => "Product: Microsoft Teams Meeting Add-in -- Installation completed successfully.".to_owned(),
            15 => "Windows Defender SECURITY_PRODUCT_STATE_ON".to_owned(),
            16384 => "2026-11-29T08:00:00Z, RulesEngine".to_owned(),
            _ => format!("Fault bucket {}, type 5", rng.range(100_000_000, 999_999_999)),
        }),
        "SubjectUserSid" | "TargetUserSid" => s(cx.sid.clone()),
        "SubjectUserName" | "TargetUserName" | "AccountName" | "DetectionUser" => s(cx.user),
        "SubjectDomainName" | "TargetDomainName" => s(DOMAIN),
        "LogonType" => n(*rng.pick(&[2u64, 3, 3, 3, 5, 7, 10])),
        "LogonProcessName" => s(*rng.pick(&["User32 ", "NtLmSsp ", "Kerberos", "Advapi  "])),
        "AuthenticationPackageName" | "PackageName" => s(*rng.pick(&["Negotiate", "NTLM", "Kerberos", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0"])),
        "WorkstationName" | "Workstation" => s(cx.host),
        "IpAddress" => s(ip_internal(rng)),
        "TargetServerName" => s("SRV-FILE01.corp.example"),
        "TargetInfo" => s("SRV-FILE01.corp.example"),
        "PrivilegeList" => s("SeSecurityPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege"),
        "TokenElevationType" => s("%%1936"),
        "MandatoryLabel" => s("S-1-16-8192"),
        "ObjectServer" => s("Security"),
        "ObjectType" => s(*rng.pick(&["File", "Key", "SAM_DOMAIN", "File"])),
        "ObjectName" => s(windows_file(rng, cx)),
        "HandleId" => s(format!("0x{}", hex(rng, 3))),
        "AccessList" => s("%%4416\n\t\t\t\t%%4423"),
        "AccessMask" => s(*rng.pick(&["0x1", "0x80", "0x120089"])),
        "OperationType" => s("%%14674"),
        "Properties" => s("%%7688"),
        "ObjectValueName" => s("LastSwitchedTime"),
        "OldValue" | "NewValue" => s("0"),
        "ServiceName" if event_id == 4768 || event_id == 4769 => s("krbtgt"),
        "ServiceName" | "param1" => s(*rng.pick(&["Windows Update", "Background Intelligent Transfer Service", "Print Spooler", "CorpInventoryAgent"])),
        "param2" => s(*rng.pick(&["running", "stopped"])),
        "param3" | "param4" | "param5" | "param6" | "param7" => s(""),
        "ImagePath" | "ServiceFileName" => s("\"C:\\Program Files\\Corp\\InventoryAgent\\agent.exe\" --service"),
        "ServiceType" => s("user mode service"),
        "StartType" | "ServiceStartType" => s("auto start"),
        "ServiceAccount" => s("LocalSystem"),
        "TaskName" => s("\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan"),
        "TaskContent" => s("<?xml version=\"1.0\" encoding=\"UTF-16\"?><Task><Actions><Exec><Command>%systemroot%\\system32\\usoclient.exe</Command><Arguments>StartScan</Arguments></Exec></Actions></Task>"),
        "TicketOptions" => s("0x40810000"),
        "Status" => s("0x0"),
        "TicketEncryptionType" => s("0x12"),
        "PreAuthType" => s("2"),
        "DSName" => s("corp.example"),
        "DSType" => s("%%14676"),
        "ObjectDN" => s("CN=WS-0142,OU=Workstations,DC=corp,DC=example"),
        "ObjectClass" => s("computer"),
        "AttributeLDAPDisplayName" => s("description"),
        "AttributeValue" => s("finance laptop"),
        "ShareName" => s(*rng.pick(&["\\\\*\\IPC$", "\\\\*\\SYSVOL", "\\\\*\\Finance"])),
        "ShareLocalPath" => s("C:\\Shares\\Finance"),
        "RelativeTargetName" => s(*rng.pick(&["srvsvc", "Q3\\budget.xlsx", "corp.example\\Policies\\{31B2F340-016D-11D2-945F-00C04FB984F9}\\GPT.INI"])),
        "Direction" => s("%%14593"),
        "FilterRTID" => n(0),
        "LayerName" => s("%%14611"),
        "FinalNameLength" => n(80),
        "FinalName" => s("\\??\\C:\\Users\\alice\\AppData\\Local\\Microsoft\\Windows\\UsrClass.dat"),
        "Origin" => s("Initial"),
        "AppName" => s(prog.original),
        "AppVersion" => s(prog.version),
        "ModuleName" => s(rng.pick_str(DLLS)),
        "ModuleVersion" => s("10.0.22621.3527"),
        "ExceptionCode" => s("c0000005"),
        "FaultingOffset" => s(format!("0x{}", hex(rng, 8))),
        "ThreatName" => s("PUA:Win32/Presenoker"),
        "SeverityName" => s("Low"),
        "CategoryName" => s("Potentially Unwanted Software"),
        "ProductVersion" | "PlatformVersion" => s("4.18.24030.9"),
        "EngineVersion" => s("1.1.24030.4"),
        "IsExecutable" | "Archived" => s("false"),
        _ => return fallback(field, cx, rng),
    };
    Some(v)
}

/// A plausible value for a field no table names, by what its name suggests.
fn fallback(field: &str, cx: &Ctx, rng: &mut Rng) -> Option<Lit> {
    let f = field.to_ascii_lowercase();
    Some(
        if f.ends_with("image") || f.ends_with("path") || f.contains("file") {
            s(windows_file(rng, cx))
        } else if f.contains("user") || f.ends_with("account") {
            s(format!("{DOMAIN}\\{}", cx.user))
        } else if f.ends_with("ip") || f.contains("address") {
            s(ip_internal(rng))
        } else if f.ends_with("port") {
            n(rng.range(1024, 65_535))
        } else if f.contains("host") || f.contains("computer") || f.contains("workstation") {
            s(cx.host)
        } else {
            s(format!("value-{}", hex(rng, 6)))
        },
    )
}

/// The parts of a CloudTrail record other than the fields rules name by path.
pub(super) fn cloud_call(rng: &mut Rng) -> (&'static str, &'static str, bool) {
    *rng.pick(CLOUD_CALLS)
}

pub(super) fn cloud_agent(rng: &mut Rng) -> &'static str {
    rng.pick_str(AGENTS)
}

pub(super) fn cloud_ip(rng: &mut Rng) -> String {
    if rng.chance(0.3) {
        ip_internal(rng)
    } else {
        ip_public(rng)
    }
}

pub(super) fn linux_host(rng: &mut Rng) -> &'static str {
    rng.pick_str(LINUX_HOSTS)
}
