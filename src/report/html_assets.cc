#include "report/html_assets.h"

namespace fleetpatch::report {

const char* const kDashboardCss = R"CSS(
:root{--bg:#f4f6f9;--panel:#fff;--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--accent:#2f6fdf;
--ok:#2e9d5b;--fail:#d64545;--skip:#9aa5b1;--pend:#e0a100;--none:#d3d9e0}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:var(--bg);color:var(--ink)}
header{background:#1f2a3c;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:20px;font-weight:600}
header h1 code{font-size:18px;background:rgba(255,255,255,.1);padding:1px 6px;border-radius:4px}
header .meta{margin-top:6px;color:#c5cfdb;font-size:13px}
main{padding:20px 28px 40px;max-width:1600px;margin:0 auto}
h2{font-size:16px;margin:0 0 12px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.badge{display:inline-block;padding:2px 9px;border-radius:10px;font-size:12px;font-weight:600;vertical-align:middle;margin-left:8px;background:var(--none);color:var(--ink)}
.st-succeeded,.st-success,.st-available,.st-ready,.st-eligible{background:#dff3e7;color:#1d6b3d}
.st-failed,.st-timed_out,.st-not_ready,.st-unreachable,.st-partial_success,.st-cancelled,.st-completed_with_failures{background:#fbe3e3;color:#a02c2c}
.st-skipped,.st-disabled,.st-ineligible,.st-not_run{background:#eceff3;color:#52606d}
.st-pending,.st-in_progress,.st-running,.st-interrupted{background:#fcf1cf;color:#8a6200}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:14px;margin-bottom:18px}
.card{background:var(--panel);border-radius:10px;padding:14px 16px;box-shadow:0 1px 2px rgba(0,0,0,.06);border-top:4px solid var(--accent)}
.card.bad{border-top-color:var(--fail)}.card.good{border-top-color:var(--ok)}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:28px;font-weight:650;margin-top:2px}
.card .sub{color:var(--muted);font-size:12.5px}
.panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:14px;margin-bottom:18px}
.panel{background:var(--panel);border-radius:10px;padding:16px;box-shadow:0 1px 2px rgba(0,0,0,.06);margin-bottom:18px;overflow-x:auto}
.panels .panel{margin-bottom:0}
svg text{font-size:12px;fill:var(--ink)}
svg text.in{fill:#fff;font-weight:600}
svg text.in.dark{fill:#3e4c59}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin-top:8px;color:var(--muted);font-size:12.5px}
.legend span::before{content:"";display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px;background:var(--c)}
.lg-succeeded{--c:var(--ok)}.lg-failed{--c:var(--fail)}.lg-skipped{--c:var(--skip)}.lg-pending{--c:var(--pend)}.lg-not_run{--c:var(--none)}
.toolbar{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin-bottom:10px}
.toolbar input,.toolbar select{font:inherit;padding:6px 9px;border:1px solid #cbd2d9;border-radius:6px;background:#fff}
.toolbar input{min-width:260px}
.toolbar .count{color:var(--muted);margin-left:auto}
table{border-collapse:collapse;width:100%}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
table.data td{white-space:nowrap}
table.data td.wrap{white-space:normal;min-width:140px;max-width:340px;word-break:break-word}
table.data td.wrap .sub.mono{white-space:nowrap}
table.data tr.detail td{white-space:normal}
#fp-instances{font-size:13px}
#fp-instances th,#fp-instances td{padding:6px 7px}
td .sub{color:var(--muted);font-size:12px}
th{background:#f8f9fb;font-weight:600;white-space:nowrap;position:sticky;top:0}
th.sortable{cursor:pointer;user-select:none}
th.sortable:hover{background:#eef2f7}
th[aria-sort=ascending]::after{content:" \25B2";font-size:10px}
th[aria-sort=descending]::after{content:" \25BC";font-size:10px}
td.mono,.sub.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.inst{cursor:pointer}
tr.inst:hover{background:#f5f8ff}
tr.detail td{background:#fafbfc;padding:12px 16px}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;margin:0 0 10px}
.kv dt{color:var(--muted)}.kv dd{margin:0;word-break:break-word}
.detail h3{font-size:13px;margin:10px 0 6px}
pre{background:#f1f3f5;padding:8px 10px;border-radius:6px;white-space:pre-wrap;word-break:break-word;max-height:260px;overflow:auto;margin:0}
.fail-text{color:var(--fail);font-weight:600}
.ok-text{color:var(--ok)}
.muted{color:var(--muted)}
.empty{color:var(--muted);font-style:italic}
details summary{cursor:pointer;font-weight:600}
footer{color:var(--muted);font-size:12px;text-align:center;padding:10px}
#fp-selftest{display:none}
)CSS";

const char* const kDashboardGuardScript = R"JS(
(function(){'use strict';
var log=window.__fpProblems=[];
function note(m){log.push(m);document.documentElement.setAttribute('data-fp-problems',JSON.stringify(log));}
window.addEventListener('error',function(e){note('error: '+(e.message||'resource failed to load'));},true);
document.addEventListener('securitypolicyviolation',function(e){note('csp: '+e.violatedDirective+' '+e.blockedURI);});
if(location.hash.indexOf('#selftest')===0){window.alert=window.confirm=window.prompt=function(){window.__fpAlerted=true;};}
})();
)JS";

const char* const kDashboardScript = R"JS(
(function(){'use strict';
var data=JSON.parse(document.getElementById('fp-data').textContent);
var all=data.instances;
// Rollbacks and anything fleetpatch left in Standby or suspended, above the table (docs/safety.md).
(function(){var rolled=all.filter(function(r){return r.rollback;});var held=all.filter(function(r){return r.standby&&['in_standby','left_in_standby','group_suspended'].indexOf(r.standby.status)>=0;});
 if(!rolled.length&&!held.length)return;var box=el('div','detail');
 if(rolled.length){box.appendChild(el('h3',null,'Rollbacks'));var u=el('ul');rolled.forEach(function(r){u.appendChild(el('li',null,r.instance_id+' ('+r.zone+'): '+r.rollback.status+(r.rollback.reason?' \u2014 '+r.rollback.reason:'')));});box.appendChild(u);}
 if(held.length){box.appendChild(el('h3','fail-text','Still in Standby or suspended'));var v=el('ul');held.forEach(function(r){v.appendChild(el('li',null,r.instance_id+' ('+r.zone+'): '+r.standby.status+' in '+r.standby.group));});box.appendChild(v);}
 var t=document.getElementById('fp-instances');t.parentNode.insertBefore(box,t);})();
function phaseStatus(r,p){if(p==='scan')return r.eligible?'eligible':'ineligible';return r[p]?r[p].status:'not_run';}
function firstProblem(r){return r.problems.length?r.problems[0]:null;}
var cols=[
 {k:'zone',t:'Zone',v:function(r){return r.zone;},sub:function(r){return r.account_id+' \u00b7 '+r.region;}},
 {k:'instance',t:'Instance',v:function(r){return r.instance_id;},mono:true},
 {k:'name',t:'Name',v:function(r){return r.name;},wrap:true},
 {k:'platform',t:'Platform',v:function(r){return r.platform;}},
 {k:'state',t:'State / SSM',v:function(r){return r.state;},sub:function(r){return r.ssm_ping_status;}},
 {k:'outcome',t:'Outcome',v:function(r){return r.overall;},badge:true},
 {k:'backup',t:'Backup',v:function(r){return phaseStatus(r,'backup');},badge:true},
 {k:'precheck',t:'Precheck',v:function(r){return phaseStatus(r,'precheck');},badge:true},
 {k:'patch',t:'Patch',v:function(r){return phaseStatus(r,'patch');},badge:true},
 {k:'installed',t:'Installed',v:function(r){return r.patch?r.patch.installed:null;},num:true},
 {k:'missing',t:'Missing',v:function(r){return r.patch?r.patch.missing:null;},num:true},
 {k:'failed',t:'Failed',v:function(r){return r.patch?r.patch.failed:null;},num:true},
 {k:'reboot',t:'Reboot',v:function(r){return r.patch?r.patch.installed_pending_reboot:null;},num:true},
 {k:'safety',t:'Rollback / standby',v:function(r){return r.rollback?r.rollback.status:(r.standby?r.standby.status:'');},badge:true},
 {k:'error',t:'Error',v:function(r){var p=firstProblem(r);return p?p.code+': '+p.message:'';},show:function(r){var p=firstProblem(r);return p?p.code:'';},cls:'fail-text'}
];
var state={key:'zone',dir:1,text:'',outcome:'',zone:'',open:{}};
var table=document.getElementById('fp-instances');
var thead=table.querySelector('thead');var tbody=table.querySelector('tbody');
var countEl=document.getElementById('fp-count');
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!==undefined&&text!==null)e.textContent=String(text);return e;}
function kv(parent,pairs){var dl=el('dl','kv');pairs.forEach(function(p){if(p[1]===undefined||p[1]===null||p[1]==='')return;dl.appendChild(el('dt',null,p[0]));dl.appendChild(el('dd',null,p[1]));});parent.appendChild(dl);}
function list(parent,title,items){if(!items||!items.length)return;parent.appendChild(el('h3',null,title));var ul=el('ul');items.forEach(function(i){ul.appendChild(el('li',null,i));});parent.appendChild(ul);}
function details(r){
 var box=el('div','detail');
 kv(box,[['Instance',r.instance_id],['Name',r.name],['Account / region',r.account_id+' / '+r.region+' ('+r.availability_zone+')'],['Type',r.instance_type],['Platform',r.platform+(r.platform_name?' ('+r.platform_name+')':'')],['SSM',r.ssm_ping_status+(r.ssm_agent_version?' (agent '+r.ssm_agent_version+')':'')],['Auto Scaling group',r.in_auto_scaling_group?'yes':'no'],['Eligible',r.eligible?'yes':'no: '+r.ineligible_reason]]);
 r.problems.forEach(function(p){var d=el('div','fail-text',p.phase+' ['+p.category+'] '+p.code+': '+p.message);box.appendChild(d);});
 if(r.backup){var b=r.backup;box.appendChild(el('h3',null,'Backup'));kv(box,[['Status',b.status],['AMI',b.ami_id+(b.ami_name?' ('+b.ami_name+')':'')],['Snapshots',b.snapshot_ids.join(', ')],['Started',b.started_at],['Finished',b.finished_at],['Duration',b.duration_s+' s'],['Reason',b.reason],['Cleaned up',b.cleaned_up?'yes':'']]);}
 if(r.precheck){var c=r.precheck;box.appendChild(el('h3',null,'Precheck'));kv(box,[['Status',c.status],['Command',c.command_id],['Started',c.started_at],['Finished',c.finished_at]]);
  if(c.findings.length){var t=el('table');var h=el('tr');['Check','Measured','Threshold','Result'].forEach(function(x){h.appendChild(el('th',null,x));});t.appendChild(h);
   c.findings.forEach(function(f){var tr=el('tr');tr.appendChild(el('td',null,f.check));tr.appendChild(el('td',null,f.measured));tr.appendChild(el('td',null,f.threshold));tr.appendChild(el('td',f.passed?'ok-text':'fail-text',f.passed?'ok':'FAIL'));t.appendChild(tr);});box.appendChild(t);}
  list(box,'Failed thresholds',c.reasons);list(box,'Risks',c.risks);
  if(c.output){box.appendChild(el('h3',null,'Output'));box.appendChild(el('pre',null,c.output));}}
 if(r.patch){var p=r.patch;box.appendChild(el('h3',null,'Patch'));kv(box,[['Status',p.status],['Wave',p.wave===0?'canary':String(p.wave)],['Command',p.command_id+(p.command_status?' ('+p.command_status+')':'')],['Installed / missing / failed / pending reboot',p.installed+' / '+p.missing+' / '+p.failed+' / '+p.installed_pending_reboot],['Started',p.started_at],['Finished',p.finished_at],['Duration',p.duration_s+' s'],['Reason',p.reason]]);}
 if(r.standby){var sb=r.standby;box.appendChild(el('h3',null,'Auto Scaling'));kv(box,[['Status',sb.status],['Group',sb.group],['Mode',sb.mode],['Entered',sb.entered_at],['Exited',sb.exited_at],['Reason',sb.reason]]);}
 if(r.postcheck){var pc=r.postcheck;box.appendChild(el('h3',null,'Postcheck'));kv(box,[['Status',pc.status],['Command',pc.command_id],['Started',pc.started_at],['Finished',pc.finished_at]]);list(box,'Regressions',pc.regressions);}
 if(r.rollback){var rb=r.rollback;box.appendChild(el('h3',null,'Rollback'));kv(box,[['Status',rb.status],['AMI',rb.ami_id],['Task',rb.task_id+(rb.task_state?' ('+rb.task_state+')':'')],['Automatic',rb.automatic?'yes':'no'],['Postcheck after',rb.postcheck],['Reason',rb.reason],['Started',rb.started_at],['Finished',rb.finished_at]]);}
 if(r.timeline&&r.timeline.length){box.appendChild(el('h3',null,'Timeline'));var tl=el('table');var th=el('tr');['Step','Status','Started','Finished','Detail'].forEach(function(x){th.appendChild(el('th',null,x));});tl.appendChild(th);
  r.timeline.forEach(function(e){var tr=el('tr');[e.step,e.status,e.started_at,e.finished_at,e.detail].forEach(function(x){tr.appendChild(el('td',null,x));});tl.appendChild(tr);});box.appendChild(tl);}
 var tags=Object.keys(r.tags);if(tags.length){box.appendChild(el('h3',null,'Tags'));kv(box,tags.map(function(k){return [k,r.tags[k]];}));}
 return box;}
function colOf(k){for(var i=0;i<cols.length;i++)if(cols[i].k===k)return cols[i];return cols[0];}
function cmp(a,b){
 if(a===b)return 0;if(a===null||a===undefined||a==='')return 1;if(b===null||b===undefined||b==='')return -1;
 if(typeof a==='number'&&typeof b==='number')return a-b;
 return String(a).localeCompare(String(b),undefined,{numeric:true,sensitivity:'base'});}
function matches(r){
 if(state.outcome&&r.overall!==state.outcome)return false;
 if(state.zone&&r.zone!==state.zone)return false;
 if(!state.text)return true;
 var q=state.text.toLowerCase();
 var extra=[r.ssm_ping_status,r.account_id,r.region,r.availability_zone,r.instance_type,r.backup?r.backup.ami_id:'',r.precheck?r.precheck.command_id:'',r.patch?r.patch.command_id:''];
 for(var i=0;i<cols.length;i++)extra.push(cols[i].v(r));
 for(var j=0;j<extra.length;j++){var v=extra[j];if(v!==null&&v!==undefined&&String(v).toLowerCase().indexOf(q)>=0)return true;}
 return false;}
function visible(){
 var c=colOf(state.key);var rows=all.filter(matches).map(function(r,i){return {r:r,i:i};});
 rows.sort(function(x,y){var d=cmp(c.v(x.r),c.v(y.r));if(d===0)return x.i-y.i;var empty=function(v){return v===null||v===undefined||v==='';};
  if(empty(c.v(x.r))||empty(c.v(y.r)))return d;return d*state.dir;});
 return rows.map(function(x){return x.r;});}
function render(){
 var rows=visible();
 while(tbody.firstChild)tbody.removeChild(tbody.firstChild);
 rows.forEach(function(r){
  var tr=el('tr','inst');tr.setAttribute('data-id',r.instance_id);tr.tabIndex=0;
  cols.forEach(function(c){var v=c.v(r);var td=el('td',c.num?'num':(c.mono?'mono':(c.wrap?'wrap':null)));
   if(c.badge){td.appendChild(el('span','badge st-'+v,v));}
   else if(c.show){td.textContent=c.show(r);if(v)td.title=v;if(c.cls)td.className=c.cls;}
   else{td.textContent=(v===null||v===undefined)?'':String(v);}
   if(c.sub)td.appendChild(el('div','sub',c.sub(r)));
   tr.appendChild(td);});
  var toggle=function(){state.open[r.instance_id]=!state.open[r.instance_id];render();};
  tr.addEventListener('click',toggle);tr.addEventListener('keydown',function(e){if(e.key==='Enter')toggle();});
  tbody.appendChild(tr);
  if(state.open[r.instance_id]){var d=el('tr','detail');var td=el('td');td.colSpan=cols.length;td.appendChild(details(r));d.appendChild(td);tbody.appendChild(d);}
 });
 countEl.textContent='Showing '+rows.length+' of '+all.length+' instances';
 var ths=thead.querySelectorAll('th');
 for(var i=0;i<ths.length;i++){var k=ths[i].getAttribute('data-key');ths[i].setAttribute('aria-sort',k===state.key?(state.dir>0?'ascending':'descending'):'none');}
 return rows;}
var hr=el('tr');
cols.forEach(function(c){var th=el('th','sortable',c.t);th.setAttribute('data-key',c.k);th.setAttribute('title','Sort by '+c.t);
 th.addEventListener('click',function(){if(state.key===c.k)state.dir=-state.dir;else{state.key=c.k;state.dir=1;}render();});hr.appendChild(th);});
thead.appendChild(hr);
var search=document.getElementById('fp-search'),outSel=document.getElementById('fp-outcome'),zoneSel=document.getElementById('fp-zone');
search.addEventListener('input',function(){state.text=search.value.trim();render();});
outSel.addEventListener('change',function(){state.outcome=outSel.value;render();});
var zones={};all.forEach(function(r){zones[r.zone]=true;});
Object.keys(zones).sort().forEach(function(z){var o=el('option',null,z);o.value=z;zoneSel.appendChild(o);});
zoneSel.addEventListener('change',function(){state.zone=zoneSel.value;render();});
render();
if(location.hash.indexOf('#selftest')===0){
 var out=document.getElementById('fp-selftest');
 var ids=function(rows){return rows.map(function(r){return r.instance_id;}).join(',');};
 var q=(location.hash.match(/[&?]q=([^&]*)/)||[])[1];q=q?decodeURIComponent(q):'';
 var click=function(k){thead.querySelector('th[data-key="'+k+'"]').click();};
 var res={};
 res.rows_total=tbody.querySelectorAll('tr.inst').length;
 click('instance');res.sorted_asc=ids(visible());res.dom_first=tbody.querySelector('tr.inst').getAttribute('data-id');
 click('instance');res.sorted_desc=ids(visible());res.dom_first_desc=tbody.querySelector('tr.inst').getAttribute('data-id');
 click('installed');res.installed_asc=visible().map(function(r){return r.patch?r.patch.installed:'';}).join(',');
 search.value=q;search.dispatchEvent(new Event('input'));res.filter_text_rows=tbody.querySelectorAll('tr.inst').length;
 search.value='';search.dispatchEvent(new Event('input'));
 outSel.value='failed';outSel.dispatchEvent(new Event('change'));res.filter_failed_rows=tbody.querySelectorAll('tr.inst').length;
 outSel.value='';outSel.dispatchEvent(new Event('change'));
 res.rows_after_reset=tbody.querySelectorAll('tr.inst').length;
 var first=tbody.querySelector('tr.inst');first.click();res.detail_rows=tbody.querySelectorAll('tr.detail').length;first=tbody.querySelector('tr.inst');first.click();
 res.names=all.map(function(r){return r.name;});
 res.alerted=!!window.__fpAlerted;
 res.problems=window.__fpProblems.slice();
 res.done=true;
 out.textContent=JSON.stringify(res);
}
})();
)JS";

}  // namespace fleetpatch::report
