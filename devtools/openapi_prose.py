"""What the OpenAPI document says in words: the API's description, its tags, security schemes,
shared error responses, and each route's summary, description and answers by status.

Read by devtools/openapi.py (``make openapi``), which adds what is declared elsewhere: the
schemas (chalicelib/api/shapes.py for requests, chalicelib/api/answers.py for responses, by
``#/components/schemas/<Struct name>``), each operation's id (its view function in app.py) and
its security (chalicelib/api/auth.py). A new route needs an entry here; the generator refuses a
route without one, and a ``$ref`` to a schema nobody declared.
"""
# flake8: noqa: E501 (prose)

# The document's info object.
INFO = {'title': 'Loyalty and discount API',
 'version': '1',
 'summary': "A store's ledger of every customer, and what a returning customer has earned at checkout.",
 'description': "Paths are relative to the stage's invoke URL "
                '(`https://<api-id>.execute-api.<region>.amazonaws.com/<stage>`, the stage being `dev` or `prod`; '
                'locally `http://127.0.0.1:8000`). Requests and responses are JSON. Money is integer minor units '
                'with an ISO 4217 currency: in requests the currency is given once and amounts are plain integers, '
                'in responses every amount is a `Money` object. Times are ISO 8601 with an offset; responses are '
                "UTC with `Z`. Every error has one shape (`Error`), API Gateway's own answers included (404 for no "
                'such route, 401, 403, 429 with Retry-After, and 500/504 when the authorizer fails or a request '
                'times out), also under `make run`. A 500 is always a bug. Response objects may gain fields: '
                'ignore the ones you do not know. Integers (amounts, quantities) are written without a decimal '
                'point: `100.0` is refused, although JSON Schema counts it as an integer. Free text (names, '
                'addresses, SKUs, emails) is trimmed of surrounding spaces before it is checked. Bodies nested '
                'more than 32 levels deep, or holding text that is not valid Unicode (an unpaired surrogate '
                'escape), are refused with 400. The contract in words: docs/api.md.'}

# Who calls which operations.
TAGS = [{'name': 'storefront',
  'description': 'Storefront backends: a storefront API key (`lk_...`) with the scope each operation names.'},
 {'name': 'customers',
  'description': "Customers' apps: the customer's Cognito token; the customer is always the one the token names."},
 {'name': 'support and operations', 'description': 'Support and operations staff: IAM (SigV4).'},
 {'name': 'service', 'description': 'Open: no credentials.'}]

# How callers prove who they are (chalicelib/api/auth.py decides who may call what).
SECURITY_SCHEMES = {'bearer': {'type': 'http',
            'scheme': 'bearer',
            'description': "`Authorization: Bearer <token>`, checked by the API's custom authorizer. Storefront "
                           'routes take a storefront API key (`lk_<channel>_...`) whose scopes (`quotes`, '
                           '`orders`, `customers`) include the scope the operation lists. The `/v1/me` routes '
                           "(scope `customer` here) take only a customer's Cognito token (a JWT), never an API "
                           'key. No header is a 401; any other refusal a 403.'},
 'sigv4': {'type': 'apiKey',
           'in': 'header',
           'name': 'Authorization',
           'description': 'AWS IAM: the request is signed with AWS Signature Version 4 (`Authorization: '
                          'AWS4-HMAC-SHA256 Credential=...`, with `X-Amz-Date` and, for temporary credentials, '
                          '`X-Amz-Security-Token`), by a caller with `execute-api:Invoke` on the route. API '
                          'Gateway checks it. Not enforced in the local stage.',
           'x-amazon-apigateway-authtype': 'awsSigv4'}}

# Error answers shared by the operations (all in the one Error shape).
RESPONSES = {'BadRequest': {'description': 'Bad input (`invalid_input`): every problem is listed with its field; nothing was '
                               'written.',
                'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
 'NotFound': {'description': 'Unknown customer (`not_found`).',
              'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
 'Conflict': {'description': "The id was already used with a different body (`conflict`); at an order's commit, a "
                             'promotion used up (`promotion_unavailable`) or the store credit its quote applied no '
                             'longer there (`credit_unavailable`): quote again.',
              'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
 'Unprocessable': {'description': "Well-formed, but against the ledger's rules (`unprocessable`).",
                   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
 'PayloadTooLarge': {'description': 'Body over 256 KiB (`payload_too_large`).',
                     'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
 'UnsupportedMediaType': {'description': 'Not JSON (`unsupported_media_type`).',
                          'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
 'ServiceUnavailable': {'description': 'DynamoDB stayed busy past the retry budget (`service_unavailable`); '
                                       'nothing was written. Retry after `Retry-After` seconds.',
                        'headers': {'Retry-After': {'description': 'Seconds to wait before retrying.',
                                                    'required': True,
                                                    'schema': {'type': 'integer', 'minimum': 0}}},
                        'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
 'Unauthorized': {'description': 'No `Authorization` header. Answered by API Gateway in the error shape '
                                 '(`unauthorized`), in deployed stages and under `make run` alike.',
                  'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
 'Forbidden': {'description': 'A credential that is unknown, revoked, expired, of another kind, or without this '
                              "route's scope; for `sigv4`, a missing or bad signature. Answered by API Gateway in "
                              'the error shape (`forbidden`, `invalid_signature`, `expired_token`), in deployed '
                              'stages and under `make run` alike.',
               'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},
 'TooManyRequests': {'description': "API Gateway's throttling (`throttled`): retry after `Retry-After` seconds.",
                     'headers': {'Retry-After': {'description': 'Seconds to wait before retrying.',
                                                 'schema': {'type': 'integer', 'minimum': 0}}},
                     'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}}}

# Each path's parameters and each operation's words and answers (operationId and security are generated).
PATHS = {'/v1/health': {'get': {'tags': ['service'],
                        'summary': 'Backend, stage, and whether the table exists',
                        'responses': {'200': {'description': 'DynamoDB answers (`status` is `ok` or '
                                                             '`table_missing`).',
                                              'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Health'}}}},
                                      '429': {'$ref': '#/components/responses/TooManyRequests'},
                                      '503': {'description': 'DynamoDB does not answer (`status` is '
                                                             '`unavailable`).',
                                              'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Health'}}}}}}},
 '/v1/openapi.json': {'get': {'tags': ['service'],
                              'summary': 'This document',
                              'responses': {'200': {'description': 'The OpenAPI 3.1 document of the API.',
                                                    'content': {'application/json': {'schema': {'type': 'object',
                                                                                                'properties': {'openapi': {'type': 'string'},
                                                                                                               'info': {'type': 'object'},
                                                                                                               'paths': {'type': 'object'}},
                                                                                                'required': ['openapi',
                                                                                                             'info',
                                                                                                             'paths']}}}},
                                            '429': {'$ref': '#/components/responses/TooManyRequests'}}}},
 '/v1/customers/{customer_id}': {'parameters': [{'name': 'customer_id',
                                                 'in': 'path',
                                                 'required': True,
                                                 'description': "The store's id of the customer.",
                                                 'schema': {'$ref': '#/components/schemas/Id'}}],
                                 'put': {'tags': ['storefront'],
                                         'summary': 'Create the customer if new and set the fields given',
                                         'requestBody': {'required': True,
                                                         'content': {'application/json': {'schema': {'$ref': '#/components/schemas/ProfileRequest'}}}},
                                         'responses': {'200': {'description': 'The customer, as `GET` answers it.',
                                                               'content': {'application/json': {'schema': {'$ref': '#/components/schemas/CustomerSummary'}}}},
                                                       '400': {'$ref': '#/components/responses/BadRequest'},
                                                       '401': {'$ref': '#/components/responses/Unauthorized'},
                                                       '403': {'$ref': '#/components/responses/Forbidden'},
                                                       '413': {'$ref': '#/components/responses/PayloadTooLarge'},
                                                       '415': {'$ref': '#/components/responses/UnsupportedMediaType'},
                                                       '429': {'$ref': '#/components/responses/TooManyRequests'},
                                                       '503': {'$ref': '#/components/responses/ServiceUnavailable'}}},
                                 'get': {'tags': ['storefront'],
                                         'summary': 'Profile, lifetime and rolling-12-month stats, first and last '
                                                    'order',
                                         'responses': {'200': {'description': 'OK',
                                                               'content': {'application/json': {'schema': {'$ref': '#/components/schemas/CustomerSummary'}}}},
                                                       '400': {'$ref': '#/components/responses/BadRequest'},
                                                       '401': {'$ref': '#/components/responses/Unauthorized'},
                                                       '403': {'$ref': '#/components/responses/Forbidden'},
                                                       '404': {'$ref': '#/components/responses/NotFound'},
                                                       '429': {'$ref': '#/components/responses/TooManyRequests'}}}},
 '/v1/customers/{customer_id}/orders': {'parameters': [{'name': 'customer_id',
                                                        'in': 'path',
                                                        'required': True,
                                                        'description': "The store's id of the customer.",
                                                        'schema': {'$ref': '#/components/schemas/Id'}}],
                                        'post': {'tags': ['storefront'],
                                                 'summary': 'Record an order (idempotent by order_id)',
                                                 'description': '201 the first time; the same body again answers '
                                                                '200 with the original response; the same order_id '
                                                                'with a different body (or for another customer) '
                                                                'is a 409.',
                                                 'requestBody': {'required': True,
                                                                 'content': {'application/json': {'schema': {'$ref': '#/components/schemas/OrderRequest'}}}},
                                                 'responses': {'200': {'description': 'A replay: the first answer, '
                                                                                      'nothing counted twice.',
                                                                       'content': {'application/json': {'schema': {'$ref': '#/components/schemas/OrderResult'}}}},
                                                               '201': {'description': 'Recorded.',
                                                                       'content': {'application/json': {'schema': {'$ref': '#/components/schemas/OrderResult'}}}},
                                                               '400': {'$ref': '#/components/responses/BadRequest'},
                                                               '401': {'$ref': '#/components/responses/Unauthorized'},
                                                               '403': {'$ref': '#/components/responses/Forbidden'},
                                                               '409': {'$ref': '#/components/responses/Conflict'},
                                                               '413': {'$ref': '#/components/responses/PayloadTooLarge'},
                                                               '415': {'$ref': '#/components/responses/UnsupportedMediaType'},
                                                               '422': {'$ref': '#/components/responses/Unprocessable'},
                                                               '429': {'$ref': '#/components/responses/TooManyRequests'},
                                                               '503': {'$ref': '#/components/responses/ServiceUnavailable'}}}},
 '/v1/customers/{customer_id}/orders/{order_id}/events': {'parameters': [{'name': 'customer_id',
                                                                          'in': 'path',
                                                                          'required': True,
                                                                          'description': "The store's id of the "
                                                                                         'customer.',
                                                                          'schema': {'$ref': '#/components/schemas/Id'}},
                                                                         {'name': 'order_id',
                                                                          'in': 'path',
                                                                          'required': True,
                                                                          'description': "The store's id of the "
                                                                                         'order.',
                                                                          'schema': {'$ref': '#/components/schemas/Id'}}],
                                                          'post': {'tags': ['storefront'],
                                                                   'summary': 'Delivered, returned, refunded, '
                                                                              'cancelled or chargeback (idempotent '
                                                                              'by event_id)',
                                                                   'requestBody': {'required': True,
                                                                                   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/EventRequest'}}}},
                                                                   'responses': {'200': {'description': 'A replay: '
                                                                                                        'the first '
                                                                                                        'answer.',
                                                                                         'content': {'application/json': {'schema': {'$ref': '#/components/schemas/EventResult'}}}},
                                                                                 '201': {'description': 'Recorded.',
                                                                                         'content': {'application/json': {'schema': {'$ref': '#/components/schemas/EventResult'}}}},
                                                                                 '400': {'$ref': '#/components/responses/BadRequest'},
                                                                                 '401': {'$ref': '#/components/responses/Unauthorized'},
                                                                                 '403': {'$ref': '#/components/responses/Forbidden'},
                                                                                 '404': {'$ref': '#/components/responses/NotFound'},
                                                                                 '409': {'$ref': '#/components/responses/Conflict'},
                                                                                 '413': {'$ref': '#/components/responses/PayloadTooLarge'},
                                                                                 '415': {'$ref': '#/components/responses/UnsupportedMediaType'},
                                                                                 '422': {'$ref': '#/components/responses/Unprocessable'},
                                                                                 '429': {'$ref': '#/components/responses/TooManyRequests'},
                                                                                 '503': {'$ref': '#/components/responses/ServiceUnavailable'}}}},
 '/v1/customers/{customer_id}/ledger': {'parameters': [{'name': 'customer_id',
                                                        'in': 'path',
                                                        'required': True,
                                                        'description': "The store's id of the customer.",
                                                        'schema': {'$ref': '#/components/schemas/Id'}}],
                                        'get': {'tags': ['storefront'],
                                                'summary': 'The ledger, newest first',
                                                'parameters': [{'name': 'limit',
                                                                'in': 'query',
                                                                'required': False,
                                                                'description': 'Page size; default 25, values '
                                                                               'above 100 are capped at 100.',
                                                                'schema': {'type': 'integer',
                                                                           'minimum': 1,
                                                                           'maximum': 999999}},
                                                               {'name': 'cursor',
                                                                'in': 'query',
                                                                'required': False,
                                                                'description': '`next_cursor` of the previous '
                                                                               'page, passed back unchanged.',
                                                                'schema': {'type': 'string'}}],
                                                'responses': {'200': {'description': 'OK',
                                                                      'content': {'application/json': {'schema': {'$ref': '#/components/schemas/LedgerPage'}}}},
                                                              '400': {'$ref': '#/components/responses/BadRequest'},
                                                              '401': {'$ref': '#/components/responses/Unauthorized'},
                                                              '403': {'$ref': '#/components/responses/Forbidden'},
                                                              '404': {'$ref': '#/components/responses/NotFound'},
                                                              '429': {'$ref': '#/components/responses/TooManyRequests'}}}},
 '/v1/quotes': {'post': {'tags': ['storefront'],
                         'summary': 'The checkout quote: tier, discounts per line, what did not apply and why, '
                                    'address trust',
                         'description': 'Writes nothing, except that a `verify` or `review` address decision is '
                                        'recorded for support. An unknown customer gets a guest quote. A cart '
                                        'whose order the order route could not take is a 413 on `lines`: its '
                                        'lines, JSON-encoded with non-ASCII characters escaped and each '
                                        '`discount_amount` at its largest, may be at most 181,760 bytes (the order '
                                        'body limit of 262,144, less the largest quote token, 64,000, and 16,384 '
                                        "for the order's other fields).",
                         'requestBody': {'required': True,
                                         'content': {'application/json': {'schema': {'$ref': '#/components/schemas/QuoteRequest'}}}},
                         'responses': {'200': {'description': 'OK',
                                               'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Quote'}}}},
                                       '400': {'$ref': '#/components/responses/BadRequest'},
                                       '401': {'$ref': '#/components/responses/Unauthorized'},
                                       '403': {'$ref': '#/components/responses/Forbidden'},
                                       '413': {'$ref': '#/components/responses/PayloadTooLarge'},
                                       '415': {'$ref': '#/components/responses/UnsupportedMediaType'},
                                       '429': {'$ref': '#/components/responses/TooManyRequests'},
                                       '503': {'$ref': '#/components/responses/ServiceUnavailable'}}}},
 '/v1/me': {'get': {'tags': ['customers'],
                    'summary': "The customer's own tier and progress, benefits, recent history",
                    'responses': {'200': {'description': 'OK',
                                          'content': {'application/json': {'schema': {'$ref': '#/components/schemas/MyStatus'}}}},
                                  '401': {'$ref': '#/components/responses/Unauthorized'},
                                  '403': {'$ref': '#/components/responses/Forbidden'},
                                  '404': {'$ref': '#/components/responses/NotFound'},
                                  '429': {'$ref': '#/components/responses/TooManyRequests'}}}},
 '/v1/me/ledger': {'get': {'tags': ['customers'],
                           'summary': "The customer's own history (staff notes are not shown)",
                           'parameters': [{'name': 'limit',
                                           'in': 'query',
                                           'required': False,
                                           'description': 'Page size; default 25, values above 100 are capped at '
                                                          '100.',
                                           'schema': {'type': 'integer', 'minimum': 1, 'maximum': 999999}},
                                          {'name': 'cursor',
                                           'in': 'query',
                                           'required': False,
                                           'description': '`next_cursor` of the previous page, passed back '
                                                          'unchanged.',
                                           'schema': {'type': 'string'}}],
                           'responses': {'200': {'description': 'OK',
                                                 'content': {'application/json': {'schema': {'$ref': '#/components/schemas/MyLedgerPage'}}}},
                                         '400': {'$ref': '#/components/responses/BadRequest'},
                                         '401': {'$ref': '#/components/responses/Unauthorized'},
                                         '403': {'$ref': '#/components/responses/Forbidden'},
                                         '429': {'$ref': '#/components/responses/TooManyRequests'}}}},
 '/v1/me/addresses': {'get': {'tags': ['customers'],
                              'summary': "The customer's address book",
                              'responses': {'200': {'description': 'OK',
                                                    'content': {'application/json': {'schema': {'$ref': '#/components/schemas/MyAddresses'}}}},
                                            '401': {'$ref': '#/components/responses/Unauthorized'},
                                            '403': {'$ref': '#/components/responses/Forbidden'},
                                            '404': {'$ref': '#/components/responses/NotFound'},
                                            '429': {'$ref': '#/components/responses/TooManyRequests'}}}},
 '/v1/admin/customers': {'get': {'tags': ['support and operations'],
                                 'summary': 'Find customers by email or phone',
                                 'description': 'Exactly one of `email` and `phone`; compared normalised (case, '
                                                'spaces, +tags, Gmail dots; phones as E.164). Finds a customer by '
                                                "any email or phone they have held, merged records' included.",
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
                                                 'schema': {'type': 'string',
                                                            'pattern': '^$|^\\+?[0-9 ().\\-]{4,32}$'}},
                                                {'name': 'X-Operator',
                                                 'in': 'header',
                                                 'required': False,
                                                 'description': 'Local stage only (IAM is not enforced there): the '
                                                                "operator's name, recorded as `local:<name>`. "
                                                                'Ignored in deployed stages, which record the IAM '
                                                                "caller's ARN.",
                                                 'schema': {'type': 'string', 'minLength': 1, 'maxLength': 100}}],
                                 'responses': {'200': {'description': 'OK',
                                                       'content': {'application/json': {'schema': {'$ref': '#/components/schemas/FoundCustomers'}}}},
                                               '400': {'$ref': '#/components/responses/BadRequest'},
                                               '403': {'$ref': '#/components/responses/Forbidden'},
                                               '429': {'$ref': '#/components/responses/TooManyRequests'}}}},
 '/v1/admin/customers/{customer_id}': {'parameters': [{'name': 'customer_id',
                                                       'in': 'path',
                                                       'required': True,
                                                       'description': "The store's id of the customer.",
                                                       'schema': {'$ref': '#/components/schemas/Id'}},
                                                      {'name': 'X-Operator',
                                                       'in': 'header',
                                                       'required': False,
                                                       'description': 'Local stage only (IAM is not enforced '
                                                                      "there): the operator's name, recorded as "
                                                                      '`local:<name>`. Ignored in deployed stages, '
                                                                      "which record the IAM caller's ARN.",
                                                       'schema': {'type': 'string',
                                                                  'minLength': 1,
                                                                  'maxLength': 100}}],
                                       'get': {'tags': ['support and operations'],
                                               'summary': "Support's whole picture of a customer",
                                               'responses': {'200': {'description': 'OK',
                                                                     'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Customer360'}}}},
                                                             '400': {'$ref': '#/components/responses/BadRequest'},
                                                             '403': {'$ref': '#/components/responses/Forbidden'},
                                                             '404': {'$ref': '#/components/responses/NotFound'},
                                                             '429': {'$ref': '#/components/responses/TooManyRequests'}}}},
 '/v1/admin/customers/{customer_id}/adjustments': {'parameters': [{'name': 'customer_id',
                                                                   'in': 'path',
                                                                   'required': True,
                                                                   'description': "The store's id of the customer.",
                                                                   'schema': {'$ref': '#/components/schemas/Id'}},
                                                                  {'name': 'X-Operator',
                                                                   'in': 'header',
                                                                   'required': False,
                                                                   'description': 'Local stage only (IAM is not '
                                                                                  "enforced there): the operator's "
                                                                                  'name, recorded as '
                                                                                  '`local:<name>`. Ignored in '
                                                                                  'deployed stages, which record '
                                                                                  "the IAM caller's ARN.",
                                                                   'schema': {'type': 'string',
                                                                              'minLength': 1,
                                                                              'maxLength': 100}}],
                                                   'post': {'tags': ['support and operations'],
                                                            'summary': 'A goodwill credit, a tier override or a '
                                                                       'note (audited; idempotent by '
                                                                       'adjustment_id)',
                                                            'requestBody': {'required': True,
                                                                            'content': {'application/json': {'schema': {'$ref': '#/components/schemas/AdjustmentRequest'}}}},
                                                            'responses': {'200': {'description': 'A replay: the '
                                                                                                 'first answer.',
                                                                                  'content': {'application/json': {'schema': {'$ref': '#/components/schemas/AdjustmentResult'}}}},
                                                                          '201': {'description': 'Recorded.',
                                                                                  'content': {'application/json': {'schema': {'$ref': '#/components/schemas/AdjustmentResult'}}}},
                                                                          '400': {'$ref': '#/components/responses/BadRequest'},
                                                                          '403': {'$ref': '#/components/responses/Forbidden'},
                                                                          '404': {'$ref': '#/components/responses/NotFound'},
                                                                          '409': {'$ref': '#/components/responses/Conflict'},
                                                                          '413': {'$ref': '#/components/responses/PayloadTooLarge'},
                                                                          '415': {'$ref': '#/components/responses/UnsupportedMediaType'},
                                                                          '422': {'$ref': '#/components/responses/Unprocessable'},
                                                                          '429': {'$ref': '#/components/responses/TooManyRequests'},
                                                                          '503': {'$ref': '#/components/responses/ServiceUnavailable'}}}},
 '/v1/admin/customers/{customer_id}/goodwill': {'parameters': [{'name': 'customer_id',
                                                                'in': 'path',
                                                                'required': True,
                                                                'description': "The store's id of the customer.",
                                                                'schema': {'$ref': '#/components/schemas/Id'}},
                                                               {'name': 'X-Operator',
                                                                'in': 'header',
                                                                'required': False,
                                                                'description': 'Local stage only (IAM is not '
                                                                               "enforced there): the operator's "
                                                                               'name, recorded as `local:<name>`. '
                                                                               'Ignored in deployed stages, which '
                                                                               "record the IAM caller's ARN.",
                                                                'schema': {'type': 'string',
                                                                           'minLength': 1,
                                                                           'maxLength': 100}}],
                                                'post': {'tags': ['support and operations'],
                                                         'summary': 'Should we grant this goodwill gesture? A '
                                                                    "recommendation from the customer's expected "
                                                                    'value',
                                                         'description': 'Writes nothing: grant an approved gesture '
                                                                        'with an adjustment (`goodwill_credit`).',
                                                         'requestBody': {'required': True,
                                                                         'content': {'application/json': {'schema': {'$ref': '#/components/schemas/GoodwillRequest'}}}},
                                                         'responses': {'200': {'description': 'OK',
                                                                               'content': {'application/json': {'schema': {'$ref': '#/components/schemas/GoodwillRecommendation'}}}},
                                                                       '400': {'$ref': '#/components/responses/BadRequest'},
                                                                       '403': {'$ref': '#/components/responses/Forbidden'},
                                                                       '404': {'$ref': '#/components/responses/NotFound'},
                                                                       '413': {'$ref': '#/components/responses/PayloadTooLarge'},
                                                                       '415': {'$ref': '#/components/responses/UnsupportedMediaType'},
                                                                       '429': {'$ref': '#/components/responses/TooManyRequests'}}}},
 '/v1/admin/customers/{customer_id}/merge': {'parameters': [{'name': 'customer_id',
                                                             'in': 'path',
                                                             'required': True,
                                                             'description': "The store's id of the customer.",
                                                             'schema': {'$ref': '#/components/schemas/Id'}},
                                                            {'name': 'X-Operator',
                                                             'in': 'header',
                                                             'required': False,
                                                             'description': 'Local stage only (IAM is not enforced '
                                                                            "there): the operator's name, recorded "
                                                                            'as `local:<name>`. Ignored in '
                                                                            'deployed stages, which record the IAM '
                                                                            "caller's ARN.",
                                                             'schema': {'type': 'string',
                                                                        'minLength': 1,
                                                                        'maxLength': 100}}],
                                             'post': {'tags': ['support and operations'],
                                                      'summary': "Bring another record's history into this "
                                                                 'customer (idempotent, resumable)',
                                                      'requestBody': {'required': True,
                                                                      'content': {'application/json': {'schema': {'$ref': '#/components/schemas/MergeRequest'}}}},
                                                      'responses': {'200': {'description': 'OK',
                                                                            'content': {'application/json': {'schema': {'$ref': '#/components/schemas/MergeResult'}}}},
                                                                    '400': {'$ref': '#/components/responses/BadRequest'},
                                                                    '403': {'$ref': '#/components/responses/Forbidden'},
                                                                    '404': {'$ref': '#/components/responses/NotFound'},
                                                                    '413': {'$ref': '#/components/responses/PayloadTooLarge'},
                                                                    '415': {'$ref': '#/components/responses/UnsupportedMediaType'},
                                                                    '422': {'$ref': '#/components/responses/Unprocessable'},
                                                                    '429': {'$ref': '#/components/responses/TooManyRequests'},
                                                                    '503': {'$ref': '#/components/responses/ServiceUnavailable'}}}},
 '/v1/admin/customers/{customer_id}/personal-data': {'parameters': [{'name': 'customer_id',
                                                                     'in': 'path',
                                                                     'required': True,
                                                                     'description': "The store's id of the "
                                                                                    'customer.',
                                                                     'schema': {'$ref': '#/components/schemas/Id'}},
                                                                    {'name': 'X-Operator',
                                                                     'in': 'header',
                                                                     'required': False,
                                                                     'description': 'Local stage only (IAM is not '
                                                                                    'enforced there): the '
                                                                                    "operator's name, recorded as "
                                                                                    '`local:<name>`. Ignored in '
                                                                                    'deployed stages, which record '
                                                                                    "the IAM caller's ARN.",
                                                                     'schema': {'type': 'string',
                                                                                'minLength': 1,
                                                                                'maxLength': 100}}],
                                                     'delete': {'tags': ['support and operations'],
                                                                'summary': 'Erase name, email, phone and address '
                                                                           'lines; keep the anonymous figures',
                                                                'responses': {'200': {'description': 'OK',
                                                                                      'content': {'application/json': {'schema': {'$ref': '#/components/schemas/ErasureResult'}}}},
                                                                              '400': {'$ref': '#/components/responses/BadRequest'},
                                                                              '403': {'$ref': '#/components/responses/Forbidden'},
                                                                              '404': {'$ref': '#/components/responses/NotFound'},
                                                                              '429': {'$ref': '#/components/responses/TooManyRequests'}}}},
 '/v1/admin/customers/{customer_id}/addresses/{address_id}/confirm': {'parameters': [{'name': 'customer_id',
                                                                                      'in': 'path',
                                                                                      'required': True,
                                                                                      'description': "The store's "
                                                                                                     'id of the '
                                                                                                     'customer.',
                                                                                      'schema': {'$ref': '#/components/schemas/Id'}},
                                                                                     {'name': 'address_id',
                                                                                      'in': 'path',
                                                                                      'required': True,
                                                                                      'description': 'An address '
                                                                                                     'book entry '
                                                                                                     '(`matched_address_id` '
                                                                                                     'of a quote).',
                                                                                      'schema': {'$ref': '#/components/schemas/Id'}},
                                                                                     {'name': 'X-Operator',
                                                                                      'in': 'header',
                                                                                      'required': False,
                                                                                      'description': 'Local stage '
                                                                                                     'only (IAM is '
                                                                                                     'not enforced '
                                                                                                     'there): the '
                                                                                                     "operator's "
                                                                                                     'name, '
                                                                                                     'recorded as '
                                                                                                     '`local:<name>`. '
                                                                                                     'Ignored in '
                                                                                                     'deployed '
                                                                                                     'stages, '
                                                                                                     'which record '
                                                                                                     'the IAM '
                                                                                                     "caller's "
                                                                                                     'ARN.',
                                                                                      'schema': {'type': 'string',
                                                                                                 'minLength': 1,
                                                                                                 'maxLength': 100}}],
                                                                      'post': {'tags': ['support and operations'],
                                                                               'summary': 'An operator confirms an '
                                                                                          'address',
                                                                               'description': 'Takes no body.',
                                                                               'responses': {'200': {'description': 'OK',
                                                                                                     'content': {'application/json': {'schema': {'$ref': '#/components/schemas/AddressConfirmation'}}}},
                                                                                             '400': {'$ref': '#/components/responses/BadRequest'},
                                                                                             '403': {'$ref': '#/components/responses/Forbidden'},
                                                                                             '404': {'$ref': '#/components/responses/NotFound'},
                                                                                             '429': {'$ref': '#/components/responses/TooManyRequests'}}}},
 '/v1/admin/rules': {'parameters': [{'name': 'X-Operator',
                                     'in': 'header',
                                     'required': False,
                                     'description': "Local stage only (IAM is not enforced there): the operator's "
                                                    'name, recorded as `local:<name>`. Ignored in deployed stages, '
                                                    "which record the IAM caller's ARN.",
                                     'schema': {'type': 'string', 'minLength': 1, 'maxLength': 100}}],
                     'get': {'tags': ['support and operations'],
                             'summary': 'The rules in force, with their version',
                             'responses': {'200': {'description': 'OK',
                                                   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/RulesDocument'}}}},
                                           '403': {'$ref': '#/components/responses/Forbidden'},
                                           '429': {'$ref': '#/components/responses/TooManyRequests'}}},
                     'put': {'tags': ['support and operations'],
                             'summary': 'Store a new version of the rules',
                             'description': 'Every problem is reported with its field (`invalid_rules`). Keep the '
                                            '`version` you read: if the rules changed in between, the answer is '
                                            '409.',
                             'requestBody': {'required': True,
                                             'content': {'application/json': {'schema': {'$ref': '#/components/schemas/RulesDocument'}}}},
                             'responses': {'200': {'description': 'Stored; the new version.',
                                                   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/RulesDocument'}}}},
                                           '400': {'$ref': '#/components/responses/BadRequest'},
                                           '403': {'$ref': '#/components/responses/Forbidden'},
                                           '409': {'$ref': '#/components/responses/Conflict'},
                                           '413': {'$ref': '#/components/responses/PayloadTooLarge'},
                                           '415': {'$ref': '#/components/responses/UnsupportedMediaType'},
                                           '429': {'$ref': '#/components/responses/TooManyRequests'},
                                           '503': {'$ref': '#/components/responses/ServiceUnavailable'}}}}}

# The order of the schemas in the document (new ones go after these).
SCHEMA_ORDER = (
    'Error', 'ErrorDetail', 'Money', 'CurrencyCode', 'CountryCode', 'Id', 'Address', 'AddressOut', 'Payment',
    'Profile', 'Lifetime', 'Rolling12Months', 'Stats', 'CustomerSummary', 'NextTier', 'TierStatus',
    'LedgerEntry', 'LedgerPage', 'OrderLineOut', 'OrderResult', 'OrderState', 'EventResult', 'QuoteLineOut',
    'AddressTrust', 'Quote', 'CustomerValue', 'MyEntry', 'MyStatus', 'MyLedgerPage', 'MyAddresses',
    'Customer360', 'AdjustmentRecord', 'FoundCustomers', 'AdjustmentResult', 'MergeResult', 'ErasureResult',
    'AddressConfirmation', 'RulesDocument', 'Health', 'GoodwillRecommendation', 'OrderLine', 'OrderRequest',
    'EventRequest', 'ProfileRequest', 'QuoteLine', 'QuoteRequest', 'AdjustmentRequest', 'MergeRequest',
    'GoodwillRequest', 'CreditBalance', 'QuoteCredit', 'MyCredit', 'CreditGrantOut', 'CreditMovement',
    'StaffCredit', 'DecisionDiscount', 'Recognised',
)
