"""What the OpenAPI document says in words: the API's description, its tags, security schemes,
shared error answers, and each operation's summary, description and answers.

Read by devtools/openapi.py (``make openapi``), which adds what is declared elsewhere: the schemas
(chalicelib/api/shapes.py for requests, the modules of chalicelib/api/answers/ for responses, named here
by their Struct's name), each operation's id (its view function in app.py), its security
(chalicelib/api/auth.py), its path parameters (``PATH_PARAMETERS``) and, on /v1/admin, the
``X-Operator`` header. An operation here lists its answers by status as (words, schema) and its
error statuses, each answered by the shared response of ``ERRORS``. A route without an entry
here, or a schema nobody declared, stops the generator.
"""

INFO = {'title': 'Loyalty and discount API',
        'version': '1',
        'summary': "A store's ledger of every customer, and what a returning customer has earned at checkout.",
        'description': "Paths are relative to the stage's invoke URL "
                       '(`https://<api-id>.execute-api.<region>.amazonaws.com/<stage>`, the stage being `dev` or '
                       '`prod`; locally `http://127.0.0.1:8000`). Requests and responses are JSON. Money is '
                       'integer minor units with an ISO 4217 currency: in requests the currency is given once and '
                       'amounts are plain integers, in responses every amount is a `Money` object. Times are ISO '
                       '8601 with an offset; responses are UTC with `Z`. Every error has one shape (`Error`), API '
                       "Gateway's own answers included (404 for no such route, 401, 403, 429 with Retry-After, and "
                       '500/504 when the authorizer fails or a request times out), also under `make run`. A 500 is '
                       'always a bug. Response objects may gain fields: ignore the ones you do not know. Integers '
                       '(amounts, quantities) are written without a decimal point: `100.0` is refused, although '
                       'JSON Schema counts it as an integer. Free text (names, addresses, SKUs, emails) is trimmed '
                       'of surrounding spaces before it is checked. Bodies nested more than 32 levels deep, or '
                       'holding text that is not valid Unicode (an unpaired surrogate escape), are refused with '
                       '400. The contract in words: docs/api.md.'}

TAGS = [{'name': 'storefront',
         'description': 'Storefront backends: a storefront API key (`lk_...`) with the scope each operation '
                        'names.'},
        {'name': 'customers',
         'description': "Customers' apps: the customer's Cognito token; the customer is always the one the token "
                        'names.'},
        {'name': 'support and operations', 'description': 'Support and operations staff: IAM (SigV4).'},
        {'name': 'service', 'description': 'Open: no credentials.'}]

SECURITY_SCHEMES = {'bearer': {'type': 'http',
                               'scheme': 'bearer',
                               'description': "`Authorization: Bearer <token>`, checked by the API's custom "
                                              'authorizer. Storefront routes take a storefront API key '
                                              '(`lk_<channel>_...`) whose scopes (`quotes`, `orders`, `customers`) '
                                              'include the scope the operation lists. The `/v1/me` routes (scope '
                                              "`customer` here) take only a customer's Cognito token (a JWT), "
                                              'never an API key. No header is a 401; any other refusal a 403.'},
                    'sigv4': {'type': 'apiKey',
                              'in': 'header',
                              'name': 'Authorization',
                              'description': 'AWS IAM: the request is signed with AWS Signature Version 4 '
                                             '(`Authorization: AWS4-HMAC-SHA256 Credential=...`, with `X-Amz-Date` '
                                             'and, for temporary credentials, `X-Amz-Security-Token`), by a caller '
                                             'with `execute-api:Invoke` on the route. API Gateway checks it. Not '
                                             'enforced in the local stage.',
                              'x-amazon-apigateway-authtype': 'awsSigv4'}}

# The shared error answers (all in the one Error shape), by the status each answers.
ERRORS = {'400': 'BadRequest',
          '401': 'Unauthorized',
          '403': 'Forbidden',
          '404': 'NotFound',
          '409': 'Conflict',
          '413': 'PayloadTooLarge',
          '415': 'UnsupportedMediaType',
          '422': 'Unprocessable',
          '429': 'TooManyRequests',
          '503': 'ServiceUnavailable'}
RESPONSES = {'BadRequest': {'description': 'Bad input (`invalid_input`): every problem is listed with its field; '
                                           'nothing was written.',
                            'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
             'NotFound': {'description': 'Unknown customer (`not_found`).',
                          'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
             'Conflict': {'description': 'The id was already used with a different body (`conflict`); at an '
                                         "order's commit, a promotion used up (`promotion_unavailable`) or the "
                                         'store credit its quote applied no longer there (`credit_unavailable`): '
                                         'quote again.',
                          'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
             'Unprocessable': {'description': "Well-formed, but against the ledger's rules (`unprocessable`).",
                               'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
             'PayloadTooLarge': {'description': 'Body over 256 KiB (`payload_too_large`).',
                                 'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
             'UnsupportedMediaType': {'description': 'Not JSON (`unsupported_media_type`).',
                                      'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
             'ServiceUnavailable': {'description': 'DynamoDB stayed busy past the retry budget '
                                                   '(`service_unavailable`); nothing was written. Retry after '
                                                   '`Retry-After` seconds.',
                                    'headers': {'Retry-After': {'description': 'Seconds to wait before retrying.',
                                                                'required': True,
                                                                'schema': {'type': 'integer', 'minimum': 0}}},
                                    'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
             'Unauthorized': {'description': 'No `Authorization` header. Answered by API Gateway in the error '
                                             'shape (`unauthorized`), in deployed stages and under `make run` '
                                             'alike.',
                              'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
             'Forbidden': {'description': 'A credential that is unknown, revoked, expired, of another kind, or '
                                          "without this route's scope; for `sigv4`, a missing or bad signature. "
                                          'Answered by API Gateway in the error shape (`forbidden`, '
                                          '`invalid_signature`, `expired_token`), in deployed stages and under '
                                          '`make run` alike.',
                           'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
             'TooManyRequests': {'description': "API Gateway's throttling (`throttled`): retry after `Retry-After` "
                                                'seconds.',
                                 'headers': {'Retry-After': {'description': 'Seconds to wait before retrying.',
                                                             'schema': {'type': 'integer', 'minimum': 0}}},
                                 'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}}}

# Path parameters, by name: each an Id.
PATH_PARAMETERS = {'customer_id': "The store's id of the customer.",
                   'order_id': "The store's id of the order.",
                   'address_id': 'An address book entry (`matched_address_id` of a quote).'}
# On every /v1/admin path.
OPERATOR_HEADER = {'name': 'X-Operator',
                   'in': 'header',
                   'required': False,
                   'description': "Local stage only (IAM is not enforced there): the operator's name, recorded as "
                                  "`local:<name>`. Ignored in deployed stages, which record the IAM caller's ARN.",
                   'schema': {'type': 'string', 'minLength': 1, 'maxLength': 100}}

# The query of a ledger page (app.py: LEDGER_PAGE_DEFAULT, LEDGER_PAGE_MAX).
LEDGER_PAGE = [{'name': 'limit',
               'in': 'query',
               'required': False,
               'description': 'Page size; default 25, values above 100 are capped at 100.',
               'schema': {'type': 'integer', 'minimum': 1, 'maximum': 999999}},
              {'name': 'cursor',
               'in': 'query',
               'required': False,
               'description': '`next_cursor` of the previous page, passed back unchanged.',
               'schema': {'type': 'string'}}]

OPERATIONS = {
    ('/v1/health', 'GET'): {
        'tag': 'service',
        'summary': 'Backend, stage, and whether the table exists',
        'answers': {'200': ('DynamoDB answers (`status` is `ok` or `table_missing`).', 'Health'),
                    '503': ('DynamoDB does not answer (`status` is `unavailable`).', 'Health')},
        'errors': '429',
    },
    ('/v1/openapi.json', 'GET'): {
        'tag': 'service',
        'summary': 'This document',
        'answers': {'200': ('The OpenAPI 3.1 document of the API.',
                            {'type': 'object',
                             'properties': {'openapi': {'type': 'string'},
                                            'info': {'type': 'object'},
                                            'paths': {'type': 'object'}},
                             'required': ['openapi', 'info', 'paths']})},
        'errors': '429',
    },
    ('/v1/customers/{customer_id}', 'PUT'): {
        'tag': 'storefront',
        'summary': 'Create the customer if new and set the fields given',
        'body': 'ProfileRequest',
        'answers': {'200': ('The customer, as `GET` answers it.', 'CustomerSummary')},
        'errors': '400 401 403 413 415 429 503',
    },
    ('/v1/customers/{customer_id}', 'GET'): {
        'tag': 'storefront',
        'summary': 'Profile, lifetime and rolling-12-month stats, first and last order',
        'answers': {'200': ('OK', 'CustomerSummary')},
        'errors': '400 401 403 404 429',
    },
    ('/v1/customers/{customer_id}/orders', 'POST'): {
        'tag': 'storefront',
        'summary': 'Record an order (idempotent by order_id)',
        'description': ('201 the first time; the same body again answers 200 with the original response; the same '
                        'order_id with a different body (or for another customer) is a 409.'),
        'body': 'OrderRequest',
        'answers': {'200': ('A replay: the first answer, nothing counted twice.', 'OrderResult'),
                    '201': ('Recorded.', 'OrderResult')},
        'errors': '400 401 403 409 413 415 422 429 503',
    },
    ('/v1/customers/{customer_id}/orders/{order_id}/events', 'POST'): {
        'tag': 'storefront',
        'summary': 'Delivered, returned, refunded, cancelled or chargeback (idempotent by event_id)',
        'body': 'EventRequest',
        'answers': {'200': ('A replay: the first answer.', 'EventResult'), '201': ('Recorded.', 'EventResult')},
        'errors': '400 401 403 404 409 413 415 422 429 503',
    },
    ('/v1/customers/{customer_id}/ledger', 'GET'): {
        'tag': 'storefront',
        'summary': 'The ledger, newest first',
        'parameters': LEDGER_PAGE,
        'answers': {'200': ('OK', 'LedgerPage')},
        'errors': '400 401 403 404 429',
    },
    ('/v1/quotes', 'POST'): {
        'tag': 'storefront',
        'summary': 'The checkout quote: tier, discounts per line, what did not apply and why, address trust',
        'description': ('Writes nothing, except that a `verify` or `review` address decision is recorded for '
                        'support. An unknown customer gets a guest quote. A cart whose order the order route could'
                        ' not take is a 413 on `lines`: its lines, JSON-encoded with non-ASCII characters escaped '
                        'and each `discount_amount` at its largest, may be at most 181,760 bytes (the order body '
                        "limit of 262,144, less the largest quote token, 64,000, and 16,384 for the order's other "
                        'fields).'),
        'body': 'QuoteRequest',
        'answers': {'200': ('OK', 'Quote')},
        'errors': '400 401 403 413 415 429 503',
    },
    ('/v1/me', 'GET'): {
        'tag': 'customers',
        'summary': "The customer's own tier and progress, benefits, recent history",
        'answers': {'200': ('OK', 'MyStatus')},
        'errors': '401 403 404 429',
    },
    ('/v1/me/ledger', 'GET'): {
        'tag': 'customers',
        'summary': "The customer's own history (staff notes are not shown)",
        'parameters': LEDGER_PAGE,
        'answers': {'200': ('OK', 'MyLedgerPage')},
        'errors': '400 401 403 429',
    },
    ('/v1/me/addresses', 'GET'): {
        'tag': 'customers',
        'summary': "The customer's address book",
        'answers': {'200': ('OK', 'MyAddresses')},
        'errors': '401 403 404 429',
    },
    ('/v1/admin/customers', 'GET'): {
        'tag': 'support and operations',
        'summary': 'Find customers by email or phone',
        'description': ('Exactly one of `email` and `phone`; compared normalised (case, spaces, +tags, Gmail dots;'
                        " phones as E.164). Finds a customer by any email or phone they have held, merged records'"
                        ' included.'),
        'parameters': [{'name': 'email',
                        'in': 'query',
                        'required': False,
                        'description': 'Empty is the same as absent.',
                        'schema': {'type': 'string',
                                   'maxLength': 254,
                                   'pattern': '^$|^[^@\\s]{1,64}@[^@\\s]{1,190}\\.[^@\\s]{1,63}$'}},
                       {'name': 'phone',
                        'in': 'query',
                        'required': False,
                        'description': 'Empty is the same as absent.',
                        'schema': {'type': 'string', 'pattern': '^$|^\\+?[0-9 ().\\-]{4,32}$'}}],
        'answers': {'200': ('OK', 'FoundCustomers')},
        'errors': '400 403 429',
    },
    ('/v1/admin/customers/{customer_id}', 'GET'): {
        'tag': 'support and operations',
        'summary': "Support's whole picture of a customer",
        'answers': {'200': ('OK', 'Customer360')},
        'errors': '400 403 404 429',
    },
    ('/v1/admin/customers/{customer_id}/adjustments', 'POST'): {
        'tag': 'support and operations',
        'summary': 'A goodwill credit, a tier override or a note (audited; idempotent by adjustment_id)',
        'body': 'AdjustmentRequest',
        'answers': {'200': ('A replay: the first answer.', 'AdjustmentResult'),
                    '201': ('Recorded.', 'AdjustmentResult')},
        'errors': '400 403 404 409 413 415 422 429 503',
    },
    ('/v1/admin/customers/{customer_id}/goodwill', 'POST'): {
        'tag': 'support and operations',
        'summary': "Should we grant this goodwill gesture? A recommendation from the customer's expected value",
        'description': 'Writes nothing: grant an approved gesture with an adjustment (`goodwill_credit`).',
        'body': 'GoodwillRequest',
        'answers': {'200': ('OK', 'GoodwillRecommendation')},
        'errors': '400 403 404 413 415 429',
    },
    ('/v1/admin/customers/{customer_id}/merge', 'POST'): {
        'tag': 'support and operations',
        'summary': "Bring another record's history into this customer (idempotent, resumable)",
        'body': 'MergeRequest',
        'answers': {'200': ('OK', 'MergeResult')},
        'errors': '400 403 404 413 415 422 429 503',
    },
    ('/v1/admin/customers/{customer_id}/personal-data', 'DELETE'): {
        'tag': 'support and operations',
        'summary': 'Erase name, email, phone and address lines; keep the anonymous figures',
        'answers': {'200': ('OK', 'ErasureResult')},
        'errors': '400 403 404 429',
    },
    ('/v1/admin/customers/{customer_id}/addresses/{address_id}/confirm', 'POST'): {
        'tag': 'support and operations',
        'summary': 'An operator confirms an address',
        'description': 'Takes no body.',
        'answers': {'200': ('OK', 'AddressConfirmation')},
        'errors': '400 403 404 429',
    },
    ('/v1/admin/rules', 'GET'): {
        'tag': 'support and operations',
        'summary': 'The rules in force, with their version',
        'answers': {'200': ('OK', 'RulesDocument')},
        'errors': '403 429',
    },
    ('/v1/admin/rules', 'PUT'): {
        'tag': 'support and operations',
        'summary': 'Store a new version of the rules',
        'description': ('Every problem is reported with its field (`invalid_rules`). Keep the `version` you read: '
                        'if the rules changed in between, the answer is 409.'),
        'body': 'RulesDocument',
        'answers': {'200': ('Stored; the new version.', 'RulesDocument')},
        'errors': '400 403 409 413 415 429 503',
    },
}

# The order of the schemas in the document (new ones go after these).
SCHEMA_ORDER = ('Error',
                'ErrorDetail',
                'Money',
                'CurrencyCode',
                'CountryCode',
                'Id',
                'Address',
                'AddressOut',
                'Payment',
                'Profile',
                'Lifetime',
                'Rolling12Months',
                'Stats',
                'CustomerSummary',
                'NextTier',
                'TierStatus',
                'LedgerEntry',
                'LedgerPage',
                'OrderLineOut',
                'OrderResult',
                'OrderState',
                'EventResult',
                'QuoteLineOut',
                'AddressTrust',
                'Quote',
                'CustomerValue',
                'MyEntry',
                'MyStatus',
                'MyLedgerPage',
                'MyAddresses',
                'Customer360',
                'AdjustmentRecord',
                'FoundCustomers',
                'AdjustmentResult',
                'MergeResult',
                'ErasureResult',
                'AddressConfirmation',
                'RulesDocument',
                'Health',
                'GoodwillRecommendation',
                'OrderLine',
                'OrderRequest',
                'EventRequest',
                'ProfileRequest',
                'QuoteLine',
                'QuoteRequest',
                'AdjustmentRequest',
                'MergeRequest',
                'GoodwillRequest',
                'CreditBalance',
                'QuoteCredit',
                'MyCredit',
                'CreditGrantOut',
                'CreditMovement',
                'StaffCredit',
                'DecisionDiscount',
                'Recognised')
