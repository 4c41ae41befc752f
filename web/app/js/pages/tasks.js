// The task list: the API's filters, kept in the address so a view can be
// shared; search without diacritics; sort; keyset paging (after/first).
import { html, useState, useEffect } from "../lib.js";
import { t, name, fmtDate, fmtNumber, today } from "../i18n.js";
import { useQuery } from "../gql.js";
import { useLocation, navigate, href } from "../router.js";
import { Page, Loading, ErrorBox, StatusBadge, Field, STATUSES, KINDS } from "../ui.js";

const FIELDS = ["q", "doc", "kind", "asOf", "status", "assignee", "dueFrom", "dueTo", "sort", "dir"];
const SORTS = ["DOCUMENT", "DUE_DATE", "UPDATED_AT"];
const isDate = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s ?? "");

// filterOf reads the address into the form's values.
function filterOf(params) {
  const f = Object.fromEntries(FIELDS.map((k) => [k, params.get(k) ?? ""]));
  if (!SORTS.includes(f.sort)) f.sort = "DOCUMENT";
  if (f.dir !== "DESC") f.dir = "ASC";
  return f;
}

// variables turns the values into the Tasks operation's.
function variables(f, after) {
  const asOf = isDate(f.asOf) ? f.asOf : f.status ? today() : null;
  const filter = {};
  if (f.q.trim()) filter.search = f.q.trim();
  if (f.doc) filter.document = f.doc;
  if (KINDS.includes(f.kind)) filter.documentKinds = [f.kind];
  if (isDate(f.asOf)) filter.statusAsOf = f.asOf;
  if (STATUSES.includes(f.status)) { filter.statusAsOf = asOf; filter.statuses = [f.status]; }
  if (f.assignee) filter.assignee = f.assignee;
  if (isDate(f.dueFrom)) filter.dueFrom = f.dueFrom;
  if (isDate(f.dueTo)) filter.dueTo = f.dueTo;
  return { filter, orderBy: { field: f.sort, direction: f.dir }, after: after || null, asOf };
}

// On a phone the filters start folded, so the list is what shows first.
const wide = matchMedia("(min-width: 761px)").matches;

export function TaskList() {
  const { params } = useLocation();
  const applied = filterOf(params);
  const after = params.get("after") ?? "";
  const [form, setForm] = useState(applied);
  useEffect(() => setForm(applied), [params.toString()]);
  const vars = variables(applied, after);
  const { data, error, loading, reload } = useQuery("Tasks", vars);
  const docs = useQuery("Documents", {});
  const units = useQuery("Units", { kinds: ["MINISTRY", "PROVINCE"] });

  const set = (k) => (e) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = (e) => { e.preventDefault(); navigate(href("/app/tasks", form)); };
  const list = data?.tasks;
  const statusDate = vars.asOf;

  const select = (id, label, value, options, any) => html`<${Field} id=${id} label=${label}>
    <select id=${id} value=${value} onChange=${set(id)}>
      ${any ? html`<option value="">${any}</option>` : null}
      ${options.map(([v, l]) => html`<option value=${v} selected=${v === value}>${l}</option>`)}
    </select></${Field}>`;

  return html`<${Page} title=${t("tasksTitle")} wide>
    <details class="filters" open=${wide}>
    <summary>${t("filters")}</summary>
    <form onSubmit=${submit} aria-label=${t("filters")}>
      <div class="grid">
        <${Field} id="q" label=${t("search")} hint=${t("searchHint")}>
          <input id="q" type="search" value=${form.q} onInput=${set("q")} aria-describedby="q-hint" maxlength="100" />
        </${Field}>
        ${select("doc", t("document"), form.doc, (docs.data?.documents.nodes ?? []).map((d) => [d.id, `${d.number} – ${d.title}`]), t("anyDocument"))}
        ${select("kind", t("docKind"), form.kind, KINDS.map((k) => [k, t("kind_" + k)]), t("anyKind"))}
        ${select("assignee", t("assignee"), form.assignee, (units.data?.orgUnits.nodes ?? []).map((u) => [u.code, name(u)]), t("anyAssignee"))}
        ${select("status", t("status"), form.status, STATUSES.map((s) => [s, t("status_" + s)]), t("anyStatus"))}
        <${Field} id="asOf" label=${t("statusAsOf")}>
          <input id="asOf" type="date" value=${form.asOf} onInput=${set("asOf")} />
        </${Field}>
        <${Field} id="dueFrom" label=${t("dueFrom")}>
          <input id="dueFrom" type="date" value=${form.dueFrom} onInput=${set("dueFrom")} />
        </${Field}>
        <${Field} id="dueTo" label=${t("dueTo")}>
          <input id="dueTo" type="date" value=${form.dueTo} onInput=${set("dueTo")} />
        </${Field}>
        ${select("sort", t("sort"), form.sort, SORTS.map((s) => [s, t("sort_" + s)]))}
        ${select("dir", t("direction"), form.dir, ["ASC", "DESC"].map((d) => [d, t("dir_" + d)]))}
      </div>
      <div class="actions">
        <button type="submit" class="primary">${t("apply")}</button>
        <a href="/app/tasks">${t("clear")}</a>
      </div>
    </form>
    </details>
    ${error ? html`<${ErrorBox} error=${error} retry=${reload} />` : null}
    ${!list ? (error ? null : html`<${Loading} />`) : html`
      <p class="count" role="status" data-testid="task-count">${t("resultCount", { n: fmtNumber(list.totalCount) })}${loading ? " · " + t("loading") : ""}</p>
      ${list.nodes.length === 0 ? html`<p>${t("noTasks")}</p>` : html`
      <table class="tasks" data-testid="task-table">
        <thead><tr>
          <th scope="col">${t("colDocument")}</th><th scope="col">${t("colTask")}</th>
          <th scope="col">${t("colDeadline")}</th><th scope="col">${t("colStatus")} (${fmtDate(statusDate ?? today())})</th>
        </tr></thead>
        <tbody>${list.nodes.map((x) => html`<tr data-id=${x.id}>
          <td data-label=${t("colDocument")}>${x.document.number}</td>
          <td data-label=${t("colTask")}><a href=${"/app/tasks/" + encodeURIComponent(x.id)}>${x.title}</a>
            ${x.clause ? html`<span class="meta">${x.clause}</span>` : null}</td>
          <td data-label=${t("colDeadline")}>${x.deadlineText}<span class="meta">${x.dueDate ? fmtDate(x.dueDate) : t("continuous")}</span></td>
          <td data-label=${t("colStatus")} class="status"><${StatusBadge} status=${x.status} /></td>
        </tr>`)}</tbody>
      </table>`}
      <nav class="pager" aria-label=${t("tasksTitle")}>
        ${after ? html`<a href=${href("/app/tasks", applied)}>${t("firstPage")}</a>` : null}
        ${list.pageInfo.hasNextPage ? html`<a href=${href("/app/tasks", { ...applied, after: list.pageInfo.endCursor })} rel="next">${t("nextPage")} →</a>` : null}
      </nav>`}
  </${Page}>`;
}
