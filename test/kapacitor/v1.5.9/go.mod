module kapacitor-udf-host/test/kapacitor/v1.5.9

// Kapacitor 1.5.9 is built with Go 1.21 (build.env sets GOTOOLCHAIN; the go command fetches that
// toolchain from the module proxy). Built with Go 1.22 or later, kapacitord panics at start:
// github.com/ugorji/go/codec (through k8s.io/client-go 1.5, through Kapacitor's prometheus fork)
// calls base64.NewEncoding with a duplicate symbol in its alphabet, which Go 1.22 rejects. The
// first codec release without that alphabet (v1.2.12) has dropped the GenHelperEncoder API that
// client-go 1.5's generated code calls, so no newer version of the dependency can be pinned.
go 1.21

require github.com/influxdata/kapacitor v1.5.9

require (
	cloud.google.com/go v0.7.0 // indirect
	github.com/Azure/azure-sdk-for-go v5.0.0-beta.0.20161028183111-bd73d950fa44+incompatible // indirect
	github.com/Azure/go-autorest v7.3.1+incompatible // indirect
	github.com/BurntSushi/toml v0.3.1 // indirect
	github.com/Masterminds/semver v1.4.2 // indirect
	github.com/Masterminds/sprig v2.16.0+incompatible // indirect
	github.com/PuerkitoBio/purell v1.1.0 // indirect
	github.com/PuerkitoBio/urlesc v0.0.0-20170324140228-bbf7a2afc14f // indirect
	github.com/alecthomas/template v0.0.0-20190718012654-fb15b899a751 // indirect
	github.com/alecthomas/units v0.0.0-20190717042225-c3de453c63f4 // indirect
	github.com/aokoli/goutils v1.0.1 // indirect
	github.com/aws/aws-sdk-go v1.8.16 // indirect
	github.com/benbjohnson/tmpl v1.0.0 // indirect
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/blang/semver v3.5.0+incompatible // indirect
	github.com/cenkalti/backoff v1.0.0 // indirect
	github.com/cespare/xxhash/v2 v2.1.1 // indirect
	github.com/coreos/go-oidc v0.0.0-20170307191026-be73733bb8cc // indirect
	github.com/coreos/pkg v0.0.0-20160727233714-3ac0863d7acf // indirect
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/dgrijalva/jwt-go v3.0.0+incompatible // indirect
	github.com/docker/distribution v2.6.1+incompatible // indirect
	github.com/docker/docker v1.13.1 // indirect
	github.com/docker/go-connections v0.2.1 // indirect
	github.com/docker/go-units v0.3.1 // indirect
	github.com/dustin/go-humanize v1.0.0 // indirect
	github.com/eclipse/paho.mqtt.golang v1.0.0 // indirect
	github.com/emicklei/go-restful v1.1.4-0.20151126145626-777bb3f19bca // indirect
	github.com/evanphx/json-patch v0.0.0-20160803213441-30afec6a1650 // indirect
	github.com/geoffgarside/ber v0.0.0-20170306085127-854377f11dfb // indirect
	github.com/ghodss/yaml v0.0.0-20161207003320-04f313413ffd // indirect
	github.com/go-ini/ini v1.27.0 // indirect
	github.com/go-openapi/jsonpointer v0.0.0-20170102174223-779f45308c19 // indirect
	github.com/go-openapi/jsonreference v0.0.0-20161105162150-36d33bfe519e // indirect
	github.com/go-openapi/spec v0.0.0-20170413060731-e51c28f07047 // indirect
	github.com/go-openapi/swag v0.0.0-20170424051500-24ebf76d720b // indirect
	github.com/gogo/protobuf v1.1.1 // indirect
	github.com/golang/glog v0.0.0-20160126235308-23def4e6c14b // indirect
	github.com/golang/protobuf v1.4.3 // indirect
	github.com/golang/snappy v0.0.1 // indirect
	github.com/google/gofuzz v1.0.0 // indirect
	github.com/google/uuid v1.0.0 // indirect
	github.com/googleapis/gax-go v0.0.0-20170321005343-9af46dd5a171 // indirect
	github.com/gorhill/cronexpr v0.0.0-20180427100037-88b0669f7d75 // indirect
	github.com/hashicorp/consul v0.8.1 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.0 // indirect
	github.com/hashicorp/go-rootcerts v0.0.0-20160503143440-6bb64b370b90 // indirect
	github.com/hashicorp/serf v0.8.1 // indirect
	github.com/huandu/xstrings v1.0.0 // indirect
	github.com/imdario/mergo v0.3.4 // indirect
	github.com/influxdata/influxdb v1.1.4 // indirect
	github.com/influxdata/usage-client v0.0.0-20160829180054-6d3895376368 // indirect
	github.com/jmespath/go-jmespath v0.0.0-20151117175822-3433f3ea46d9 // indirect
	github.com/jonboulle/clockwork v0.1.0 // indirect
	github.com/josharian/intern v1.0.0 // indirect
	github.com/juju/ratelimit v0.0.0-20170314011755-acf38b000a03 // indirect
	github.com/k-sone/snmpgo v3.2.0+incompatible // indirect
	github.com/kimor79/gollectd v1.0.0 // indirect
	github.com/konsorten/go-windows-terminal-sequences v1.0.1 // indirect
	github.com/mailru/easyjson v0.7.7 // indirect
	github.com/matttproud/golang_protobuf_extensions v1.0.1 // indirect
	github.com/miekg/dns v0.0.0-20170412184748-6ebcb714d369 // indirect
	github.com/mitchellh/copystructure v0.0.0-20170116004449-f81071c9d77b // indirect
	github.com/mitchellh/go-homedir v0.0.0-20161203194507-b8bc1bf76747 // indirect
	github.com/mitchellh/mapstructure v0.0.0-20161204053518-5a0325d7fafa // indirect
	github.com/mitchellh/reflectwalk v0.0.0-20170110165207-417edcfd99a4 // indirect
	github.com/pborman/uuid v0.0.0-20160209185913-a97ce2ca70fa // indirect
	github.com/pkg/errors v0.8.1 // indirect
	github.com/prometheus/client_golang v1.4.0 // indirect
	github.com/prometheus/client_model v0.2.0 // indirect
	github.com/prometheus/common v0.9.1 // indirect
	github.com/prometheus/procfs v0.0.8 // indirect
	github.com/prometheus/prometheus v0.0.0-00010101000000-000000000000 // indirect
	github.com/samuel/go-zookeeper v0.0.0-20161028232340-1d7be4effb13 // indirect
	github.com/segmentio/kafka-go v0.3.5 // indirect
	github.com/sirupsen/logrus v1.4.2 // indirect
	github.com/spf13/pflag v0.0.0-20170418052314-2300d0f8576f // indirect
	github.com/syndtr/goleveldb v0.0.0-20170409015612-8c81ea47d4c4 // indirect
	github.com/ugorji/go v0.0.0-20170312112114-708a42d24682 // indirect
	go.etcd.io/bbolt v1.3.5 // indirect
	golang.org/x/crypto v0.0.0-20200622213623-75b288015ac9 // indirect
	golang.org/x/net v0.0.0-20201021035429-f5854403a974 // indirect
	golang.org/x/oauth2 v0.0.0-20170412232759-a6bd8cefa181 // indirect
	golang.org/x/sys v0.0.0-20210305215415-5cdee2b1b5a0 // indirect
	golang.org/x/text v0.3.3 // indirect
	google.golang.org/api v0.0.0-20170421051952-fbbaff182731 // indirect
	google.golang.org/appengine v1.0.0 // indirect
	google.golang.org/grpc v1.2.1 // indirect
	google.golang.org/protobuf v1.23.0 // indirect
	gopkg.in/alecthomas/kingpin.v2 v2.2.6 // indirect
	gopkg.in/alexcesaro/quotedprintable.v3 v3.0.0-20150716171945-2caba252f4dc // indirect
	gopkg.in/fsnotify.v1 v1.4.7 // indirect
	gopkg.in/gomail.v2 v2.0.0-20150902115704-41f357289737 // indirect
	gopkg.in/inf.v0 v0.9.0 // indirect
	gopkg.in/yaml.v2 v2.3.0 // indirect
	k8s.io/client-go v1.5.1 // indirect
)

// Kapacitor's own go.mod replaces these; replace directives only apply in the main module,
// so they are repeated here (without them the module graph does not resolve).
replace gopkg.in/fsnotify.v1 => github.com/fsnotify/fsnotify v1.4.2

replace github.com/prometheus/prometheus => github.com/goller/prometheus v1.6.1-0.20170502220046-58298e738211
