"""The projected CRS planview speaks besides WGS 84: constants only, safe for any part to import."""

VN2000_SRID = 9213  # VN-2000 / TM-3 106-30, the zone of Bắc Kạn (row added by migration 0001)
# The same definition as that row's proj4text (a test compares them): the page's live cursor uses it.
VN2000_PROJ4 = (
    "+proj=tmerc +lat_0=0 +lon_0=106.5 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
    "+towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,0.252906278 "
    "+units=m +no_defs"
)
