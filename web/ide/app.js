// The GraphQL IDE of Đề án 06: GraphiQL with a fetcher that signs requests
// the way the API expects from a browser. No build step: plain script over
// the UMD builds of React, ReactDOM and GraphiQL loaded before it.
(function () {
  'use strict';
  var h = React.createElement;
  var endpoint = document.body.getAttribute('data-endpoint') || '/query';

  // cookie returns the value of the named cookie, or ''.
  function cookie(name) {
    var parts = document.cookie ? document.cookie.split('; ') : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf('=');
      if (parts[i].slice(0, eq) === name) {
        return decodeURIComponent(parts[i].slice(eq + 1));
      }
    }
    return '';
  }

  // withCurrentOperation drops a stale operation name. GraphiQL takes in an
  // edit or a tab switch about 100 ms later, so a run in between names an
  // operation of the previous text ("operation X not found"). A document with
  // one operation needs no name.
  function withCurrentOperation(params) {
    if (!params.operationName) {
      return params;
    }
    var ops;
    try {
      ops = GraphiQL.GraphQL.parse(params.query).definitions.filter(function (d) {
        return d.kind === 'OperationDefinition';
      });
    } catch (e) {
      return params; // the server says what is wrong with it
    }
    var named = ops.some(function (op) {
      return op.name && op.name.value === params.operationName;
    });
    if (named || ops.length !== 1) {
      return params;
    }
    return { query: params.query, variables: params.variables, extensions: params.extensions };
  }

  // introspect re-reads the schema; set by SchemaRefresher once GraphiQL runs.
  var introspect = null;

  // fetcher sends the session cookie (same origin only) and, on every
  // request, the X-CSRF-Token header the API requires of cookie-signed
  // mutations, taken from the p06_csrf cookie that login sets. Headers typed
  // in GraphiQL's Headers pane (an API token, say) are added on top. After a
  // login the schema is read again: introspection needs a session.
  function fetcher(params, opts) {
    var headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    var csrf = cookie('p06_csrf');
    if (csrf) {
      headers['X-CSRF-Token'] = csrf;
    }
    var extra = (opts && opts.headers) || {};
    for (var k in extra) {
      if (Object.prototype.hasOwnProperty.call(extra, k)) {
        headers[k] = extra[k];
      }
    }
    return fetch(endpoint, {
      method: 'POST',
      credentials: 'same-origin',
      headers: headers,
      body: JSON.stringify(withCurrentOperation(params))
    }).then(function (res) {
      var type = res.headers.get('Content-Type') || '';
      if (type.indexOf('json') < 0) {
        return res.text().then(function (text) {
          return { errors: [{ message: 'HTTP ' + res.status + ': ' + text.trim() }] };
        });
      }
      return res.json();
    }).then(function (body) {
      var data = body && body.data;
      if (data && data.login && data.login.me && introspect) {
        setTimeout(introspect, 0);
      }
      return body;
    });
  }

  // SchemaRefresher renders nothing; it hands the schema context's
  // introspect function to the fetcher.
  function SchemaRefresher() {
    introspect = GraphiQL.React.useSchemaContext({ nonNull: true }).introspect;
    return null;
  }

  var signIn = [
    '# Đăng nhập (sign in): sửa tên, mật khẩu rồi bấm ▶',
    '# Demo (P06_SEED=demo): vpcp, hue, admin… / demo-password',
    '# Sau đó trang tự gửi X-CSRF-Token (từ cookie p06_csrf).',
    '# Then the page sends X-CSRF-Token by itself.',
    'mutation SignIn {',
    '  login(input: {username: "vpcp", password: "demo-password"}) {',
    '    me { user { username } csrfToken }',
    '    userErrors { message }',
    '  }',
    '}',
    ''
  ].join('\n');

  var firstQuery = [
    '# Sau khi đăng nhập (after signing in): your tasks.',
    '# Tài liệu lược đồ (schema docs): the book icon, left.',
    'query Tasks {',
    '  tasks(first: 5) {',
    '    totalCount',
    '    nodes { clause title deadlineText dueDate status }',
    '  }',
    '}',
    ''
  ].join('\n');

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    h(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: [{ query: signIn }, { query: firstQuery }],
      defaultEditorToolsVisibility: false,
      shouldPersistHeaders: false,
      toolbar: { additionalComponent: SchemaRefresher }
    }, h(GraphiQL.Logo, null, 'Đề án 06'))
  );
})();
